// Kubernetes' own validation of names and Secrets, offline, for the k8s
// export's tests (test/core/k8s.test.ts). It runs the API server's checks
// from k8s.io/apimachinery and k8s.io/api as Debian's
// golang-github-openshift-api-dev vendors them (built in GOPATH mode with
// that vendor folder; see test/support/readers.ts):
//
//	k8svalidate names KIND:VALUE...   one list of errors per argument; KIND is
//	                                  subdomain (NameIsDNSSubdomain), label
//	                                  (NameIsDNSLabel, what ValidateNamespaceName is),
//	                                  labelkey / labelvalue (ValidateLabels),
//	                                  datakey (IsConfigMapKey)
//	k8svalidate secret FILE...        each file decoded as a v1 Secret (YAML,
//	                                  as kubectl reads it) and validated as
//	                                  ValidateSecret does: ValidateObjectMeta
//	                                  with NameIsDNSSubdomain, IsConfigMapKey
//	                                  for data keys, MaxSecretSize for the data
//
// It prints one JSON array, an element per argument.
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// maxSecretSize is core.MaxSecretSize (k8s.io/kubernetes pkg/apis/core/types.go), which
// ValidateSecret (pkg/apis/core/validation/validation.go) compares with the data's total.
const maxSecretSize = 1 * 1024 * 1024

func messages(errs field.ErrorList) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func strs(errs []string) []string {
	if errs == nil {
		return []string{}
	}
	return errs
}

func checkName(arg string) []string {
	i := strings.Index(arg, ":")
	kind, value := arg[:i], arg[i+1:]
	switch kind {
	case "subdomain":
		return strs(apivalidation.NameIsDNSSubdomain(value, false))
	case "label":
		return strs(apivalidation.NameIsDNSLabel(value, false))
	case "labelkey":
		return messages(metav1validation.ValidateLabels(map[string]string{value: "v"}, field.NewPath("labels")))
	case "labelvalue":
		return messages(metav1validation.ValidateLabels(map[string]string{"k": value}, field.NewPath("labels")))
	case "datakey":
		return strs(validation.IsConfigMapKey(value))
	}
	return []string{"unknown kind " + kind}
}

type secretResult struct {
	Errors    []string          `json:"errors"`
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	Data      map[string][]byte `json:"data"`
}

func checkSecret(path string) secretResult {
	text, err := ioutil.ReadFile(path)
	if err != nil {
		return secretResult{Errors: []string{err.Error()}}
	}
	var secret corev1.Secret
	if err := yaml.UnmarshalStrict(text, &secret); err != nil {
		return secretResult{Errors: []string{err.Error()}}
	}
	meta := secret.ObjectMeta
	if meta.Namespace == "" {
		meta.Namespace = "default" // what kubectl fills in from its context
	}
	errs := apivalidation.ValidateObjectMeta(&meta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	total := 0
	for key, value := range secret.Data {
		for _, msg := range validation.IsConfigMapKey(key) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), key, msg))
		}
		total += len(value)
	}
	if total > maxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxSecretSize))
	}
	if secret.APIVersion != "v1" || secret.Kind != "Secret" {
		errs = append(errs, field.Invalid(field.NewPath("kind"), secret.Kind, "not a v1 Secret"))
	}
	return secretResult{messages(errs), secret.Name, secret.Namespace, secret.Labels, secret.Data}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8svalidate names KIND:VALUE... | secret FILE...")
		os.Exit(2)
	}
	out := []interface{}{}
	for _, arg := range os.Args[2:] {
		switch os.Args[1] {
		case "names":
			out = append(out, checkName(arg))
		case "secret":
			out = append(out, checkSecret(arg))
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
			os.Exit(2)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
