// Readers written in Go, for the reader matrix (test/core/reader-matrix.test.ts):
//
//	readers godotenv FILE...   each file as godotenv.Read reads it (joho/godotenv, Debian golang-github-joho-godotenv-dev)
//	readers k8s-yaml FILE...   each file as kubectl and helm read YAML (sigs.k8s.io/yaml, Debian golang-k8s-sigs-yaml-dev)
//
// It prints one JSON array, an element per file: {"values": {NAME: base64 of the value's bytes}}
// for godotenv, {"json": the document converted to JSON} for k8s-yaml, or {"error": message}.
// Built in GOPATH mode against Debian's packages, offline.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"github.com/joho/godotenv"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: readers godotenv|k8s-yaml FILE...")
		os.Exit(2)
	}
	out := []map[string]interface{}{}
	for _, path := range os.Args[2:] {
		switch os.Args[1] {
		case "godotenv":
			values, err := godotenv.Read(path)
			if err != nil {
				out = append(out, map[string]interface{}{"error": err.Error()})
				continue
			}
			encoded := map[string]string{}
			for k, v := range values {
				encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			out = append(out, map[string]interface{}{"values": encoded})
		case "k8s-yaml":
			data, err := os.ReadFile(path)
			if err == nil {
				var converted []byte
				converted, err = yaml.YAMLToJSON(data)
				if err == nil {
					out = append(out, map[string]interface{}{"json": string(converted)})
					continue
				}
			}
			out = append(out, map[string]interface{}{"error": err.Error()})
		default:
			fmt.Fprintln(os.Stderr, "unknown reader", os.Args[1])
			os.Exit(2)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
