import { describe, expect, it } from "vitest";
import { EMPTY_INPUT, feedHidden, type HiddenInput } from "../../src/cli/hidden-input.js";

const feed = (...chunks: string[]): HiddenInput => chunks.reduce(feedHidden, EMPTY_INPUT);

describe("the hidden prompt", () => {
  it("keeps a pasted multi-line value whole, ending at Ctrl-D (the first milestone kept the first line)", () => {
    const pem = "-----BEGIN KEY-----\rMIIB\rABCD\r-----END KEY-----\r";
    expect(feed(pem, "\u0004")).toEqual({ text: "-----BEGIN KEY-----\nMIIB\nABCD\n-----END KEY-----", state: "done" });
    expect(feed("a\r\nb", "\u0004").text).toBe("a\nb");
  });

  it("is still reading after Enter", () => {
    expect(feed("secret\r").state).toBe("reading");
    expect(feed("secret\r", "\u0004")).toEqual({ text: "secret", state: "done" });
    expect(feed("secret", "\u0004")).toEqual({ text: "secret", state: "done" });
  });

  it("drops only one final line break", () => {
    expect(feed("x\r\r", "\u0004").text).toBe("x\n");
  });

  it("backspace and Ctrl-U edit the line being typed, not lines already ended", () => {
    expect(feed("abc\u007f\u007fz\u0004").text).toBe("az");
    expect(feed("line\r\u007fx\u0004").text).toBe("line\nx");
    expect(feed("one\rtwo\u0015three\u0004").text).toBe("one\nthree");
    expect(feed("😀\u007f\u0004").text).toBe("");
  });

  it("Ctrl-C cancels and forgets what was typed; input after the end is ignored", () => {
    expect(feed("secret\r", "\u0003")).toEqual({ text: "", state: "cancelled" });
    expect(feed("a\u0004b").text).toBe("a");
  });

  it("an empty input ends empty (the caller refuses it)", () => {
    expect(feed("\u0004")).toEqual({ text: "", state: "done" });
  });
});
