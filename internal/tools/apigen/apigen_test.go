package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// modelsDir finds the botocore data directory that internal/api was
// generated from (see internal/api/PROVENANCE.md).
func modelsDir(t *testing.T) string {
	if d := os.Getenv("NIMBUS_MODELS"); d != "" {
		return d
	}
	out, err := exec.Command("python3", "-c", "import botocore,os;print(botocore.__version__, os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore is not installed: cannot check the generated code against its models")
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if version != "1.43.11" {
		t.Skipf("botocore %s is installed; internal/api is generated from 1.43.11", version)
	}
	return filepath.Join(dir, "data")
}

// TestGeneratedCodeIsCurrent regenerates every service package and compares
// it with the committed one, so that a hand edit of generated code, or a
// generator change without regeneration, fails.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	models := modelsDir(t)
	for _, name := range defaultServices {
		m, _, err := loadModel(models, name)
		if err != nil {
			t.Fatal(err)
		}
		g := newGenerator(name, m)
		files, err := g.generate()
		if err != nil {
			t.Fatal(err)
		}
		for fname, src := range files {
			path := filepath.Join("..", "..", "api", g.pkg, fname)
			committed, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, src) {
				t.Errorf("%s is not what apigen generates: run go generate ./internal/api", path)
			}
		}
	}
}

func TestExported(t *testing.T) {
	for in, want := range map[string]string{
		"PutObjectRequest": "PutObjectRequest",
		"__string":         "String",
		"_listOf__string":  "ListOfString",
		"foo-bar.baz":      "FooBarBaz",
		"1abc":             "X1abc",
	} {
		if got := exported(in); got != want {
			t.Errorf("exported(%q) = %q, want %q", in, got, want)
		}
	}
}
