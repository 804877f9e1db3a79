package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestDeploymentManifests checks what the operator's guide promises of the
// Kubernetes manifests and the image: three replicas that are ready on the
// gRPC health service, never all disrupted at once, running as a non-root
// user with PostgreSQL's URL from a Secret; a multi-stage image whose
// final stage is small and runs as a numeric non-root user.
func TestDeploymentManifests(t *testing.T) {
	raw, err := os.ReadFile("deploy/kubernetes/millwa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]map[string]any{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("millwa.yaml: %v", err)
		}
		docs[doc["kind"].(string)] = doc
	}
	get := func(doc any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				m, _ := doc.(map[string]any)
				doc = m[k]
			case int:
				s, _ := doc.([]any)
				if k >= len(s) {
					return nil
				}
				doc = s[k]
			}
		}
		return doc
	}
	dep := docs["Deployment"]
	if dep == nil || docs["Service"] == nil || docs["PodDisruptionBudget"] == nil {
		t.Fatalf("want a Deployment, a Service and a PodDisruptionBudget, got %v", len(docs))
	}
	pod := get(dep, "spec", "template", "spec")
	c := get(pod, "containers", 0)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"replicas", get(dep, "spec", "replicas"), 3},
		{"readiness on the gRPC health service", get(c, "readinessProbe", "grpc", "port"), 9090},
		{"non-root pod", get(pod, "securityContext", "runAsNonRoot"), true},
		{"no privilege escalation", get(c, "securityContext", "allowPrivilegeEscalation"), false},
		{"read-only root", get(c, "securityContext", "readOnlyRootFilesystem"), true},
		{"database URL from a Secret", get(c, "env", 0, "valueFrom", "secretKeyRef", "name"), "millwa-database"},
		{"database variable", get(c, "env", 0, "name"), "MILLWA_DATABASE_URL"},
		{"read replica variable", get(c, "env", 1, "name"), "MILLWA_DATABASE_READ_URL"},
		{"read replica URL from the same Secret", get(c, "env", 1, "valueFrom", "secretKeyRef", "name"), "millwa-database"},
		{"read replica optional", get(c, "env", 1, "valueFrom", "secretKeyRef", "optional"), true},
		{"rollout keeps every replica until the new one is ready", get(dep, "spec", "strategy", "rollingUpdate", "maxUnavailable"), 0},
		{"disruption budget", get(docs["PodDisruptionBudget"], "spec", "minAvailable"), 2},
		{"metrics port", get(c, "ports", 2, "containerPort"), 9464},
		{"metrics scraped on the pod port", get(dep, "spec", "template", "metadata", "annotations", "prometheus.io/port"), "9464"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: %v, want %v", ck.what, ck.got, ck.want)
		}
	}
	env := map[string]string{}
	for i := 0; get(c, "env", i) != nil; i++ {
		if v, ok := get(c, "env", i, "value").(string); ok {
			env[get(c, "env", i, "name").(string)] = v
		}
	}
	if env["MILLWA_METRICS_ADDR"] != ":9464" {
		t.Errorf("MILLWA_METRICS_ADDR %q; want :9464, so that the scraper reaches the pod's metrics port", env["MILLWA_METRICS_ADDR"])
	}
	// The pod serves on, not ready, for the delay while its Service stops
	// sending, then drains for up to the grace: Kubernetes must wait for
	// both before it kills the pod.
	delay, err1 := time.ParseDuration(env["MILLWA_SHUTDOWN_DELAY"])
	grace, err2 := time.ParseDuration(env["MILLWA_SHUTDOWN_GRACE"])
	if err1 != nil || err2 != nil || delay < 3*time.Second {
		t.Errorf("MILLWA_SHUTDOWN_DELAY %q and MILLWA_SHUTDOWN_GRACE %q: want durations, the delay a few seconds (endpoints are removed late)",
			env["MILLWA_SHUTDOWN_DELAY"], env["MILLWA_SHUTDOWN_GRACE"])
	}
	if kill, _ := get(pod, "terminationGracePeriodSeconds").(int); time.Duration(kill)*time.Second <= delay+grace {
		t.Errorf("termination grace %ds is not longer than the server's shutdown delay %v plus grace %v", kill, delay, grace)
	}

	df, err := os.ReadFile("deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(df)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 || !strings.Contains(froms[len(froms)-1][1], "distroless") {
		t.Fatalf("the image is not multi-stage onto distroless: %v", froms)
	}
	if !regexp.MustCompile(`(?m)^USER\s+[1-9][0-9]*(:[0-9]+)?\s*$`).MatchString(text) || !strings.Contains(text, "CGO_ENABLED=0") {
		t.Fatal("the image must run as a numeric non-root user (runAsNonRoot checks it) a static binary")
	}
	if !strings.Contains(text, "./cmd/millwa") {
		t.Fatal("the image does not build ./cmd/millwa")
	}
}
