/**
 * Typing (or pasting) a value at a hidden prompt: the terminal is in raw
 * mode, so lockstep sees every key and echoes nothing. A pasted multi-line
 * value (a PEM key, a JSON document) arrives with its line breaks as CR or
 * LF; they are kept, and the value ends only at Ctrl-D (end of input), as
 * `cat` reads a terminal. One final line break is dropped, as from a pipe
 * (what Enter before Ctrl-D adds).
 */

/** What the prompt says: how to finish, and how to cancel. */
export const HIDDEN_PROMPT = "Value (hidden; Enter keeps a line break; Ctrl-D to finish, Ctrl-C to cancel): ";

/** The state of a hidden read: text so far, and whether it is over. */
export interface HiddenInput {
  readonly text: string;
  /** `done` after Ctrl-D, `cancelled` after Ctrl-C; `reading` until then. */
  readonly state: "reading" | "done" | "cancelled";
}

/** A read that has not started. */
export const EMPTY_INPUT: HiddenInput = { text: "", state: "reading" };

const CTRL_C = "\u0003";
const CTRL_D = "\u0004";
const CTRL_U = "\u0015";
const BACKSPACE = ["\u007f", "\b"];

/**
 * Feeds one chunk of raw terminal input. Enter (CR) is a line feed; CR LF
 * from a paste is one line feed; backspace removes the last character (never
 * past a line break it cannot show); Ctrl-U clears the line being typed.
 * Input after Ctrl-D or Ctrl-C is ignored.
 */
export function feedHidden(input: HiddenInput, chunk: string): HiddenInput {
  if (input.state !== "reading") return input;
  let text = input.text;
  let i = 0;
  const chars = [...chunk];
  for (; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === CTRL_C) return { text: "", state: "cancelled" };
    if (c === CTRL_D) return { text: text.replace(/\n$/, ""), state: "done" };
    if (c === "\r") {
      text += "\n";
      if (chars[i + 1] === "\n") i++;
    } else if (BACKSPACE.includes(c)) {
      if (text !== "" && !text.endsWith("\n")) text = [...text].slice(0, -1).join("");
    } else if (c === CTRL_U) {
      text = text.slice(0, text.lastIndexOf("\n") + 1);
    } else {
      text += c;
    }
  }
  return { text, state: "reading" };
}
