// Package e2e drives a running Nimbus through real AWS clients: the Go SDK
// (aws-sdk-go-v2), the AWS CLI v2 and boto3. Every test starts its own cloud
// on 127.0.0.1 with a free port.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/nimbus-cloud/nimbus"
)

// awsConfig is an SDK configuration for the cloud at endpoint.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

func s3Client(cloud *nimbus.Instance, opts ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(awsConfig(cloud.Endpoint), append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, opts...)...)
}

func bucketName(prefix string) string {
	return fmt.Sprintf("%s-%08x", prefix, rand.Uint32())
}

func ctx(t *testing.T) context.Context { return t.Context() }

// cli runs the AWS CLI v2 against the cloud and returns its stdout. The
// CLI must be installed (scripts/test installs it): a missing CLI fails the
// test rather than skipping it.
func cli(t *testing.T, cloud *nimbus.Instance, args ...string) string {
	t.Helper()
	out, err := cliRun(cloud, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func cliRun(cloud *nimbus.Instance, args ...string) (string, error) {
	cmd := exec.Command(awsCLIPath(), append([]string{"--endpoint-url", cloud.Endpoint, "--region", "us-east-1", "--no-cli-pager"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// awsCLIPath is the AWS CLI v2: Debian's package installs it as /usr/bin/aws.
func awsCLIPath() string {
	if p := os.Getenv("NIMBUS_TEST_AWS_CLI"); p != "" {
		return p
	}
	return "/usr/bin/aws"
}

// python returns a python3 that has boto3.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("NIMBUS_TEST_PYTHON"), "python3", "/usr/bin/python3"} {
		if p == "" {
			continue
		}
		if err := exec.Command(p, "-c", "import boto3").Run(); err == nil {
			return p
		}
	}
	t.Fatal("no python3 with boto3: run scripts/test, which installs it")
	return ""
}

// boto3 runs a Python test script from testdata against the cloud; the
// script exits non-zero and prints why when a check fails.
func boto3(t *testing.T, cloud *nimbus.Instance, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(python(t), append([]string{"testdata/" + script}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+cloud.Endpoint, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}
