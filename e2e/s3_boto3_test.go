package e2e

import (
	"context"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/nimbus-cloud/nimbus"
)

// boto3Cases runs each named case of a testdata script as its own subtest,
// each against its own cloud, so a failure names the case.
func boto3Cases(t *testing.T, script string, cases ...string) {
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			cloud := nimbus.Start(t)
			boto3(t, cloud, script, c)
		})
	}
}

func TestS3Boto3Client(t *testing.T) {
	boto3Cases(t, "s3_client.py", "buckets", "objects", "listing", "transfer", "empty_file_then_another", "multipart_errors", "versioning",
		"copy", "delete_objects", "tagging", "conditional", "checksums", "bucket_configs", "errors")
}

func TestS3Boto3Resource(t *testing.T) {
	boto3Cases(t, "s3_resource.py", "buckets_and_objects", "transfers", "versions", "acl_and_tags")
}

func TestS3Boto3Presign(t *testing.T) {
	boto3Cases(t, "s3_presign.py", "presigned_urls", "presigned_post")
}

func TestS3Boto3VirtualHost(t *testing.T) {
	boto3Cases(t, "s3_virtual_host.py", "virtual_hosted")
}

// TestS3VirtualHostHeader sends plain (unsigned) requests whose bucket is
// only in the Host header, in each host form S3 clients use.
func TestS3VirtualHostHeader(t *testing.T) {
	cloud := nimbus.Start(t)
	c := s3Client(cloud)
	b := bucketName("vhost")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("a/b c.txt"), Body: strings.NewReader("hosted")}); err != nil {
		t.Fatal(err)
	}
	port := cloud.Endpoint[strings.LastIndex(cloud.Endpoint, ":")+1:]
	do := func(t *testing.T, method, host, target string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, cloud.Endpoint+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(data)
	}
	for _, host := range []string{
		b + ".s3.localhost",
		b + ".s3.localhost:" + port,
		b + ".localhost:" + port,
		b + ".s3.amazonaws.com",
		b + ".s3.us-east-1.amazonaws.com",
		b + ".s3.localhost.localstack.cloud:" + port,
	} {
		t.Run(host, func(t *testing.T) {
			resp, body := do(t, http.MethodGet, host, "/a/b%20c.txt")
			if resp.StatusCode != http.StatusOK || body != "hosted" {
				t.Fatalf("GET object: %d %q", resp.StatusCode, body)
			}
			resp, body = do(t, http.MethodGet, host, "/?list-type=2&prefix=a/")
			var list struct {
				Name     string
				Contents []struct{ Key string }
			}
			if err := xml.Unmarshal([]byte(body), &list); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("ListObjectsV2: %d %v\n%s", resp.StatusCode, err, body)
			}
			if list.Name != b || len(list.Contents) != 1 || list.Contents[0].Key != "a/b c.txt" {
				t.Fatalf("ListObjectsV2: %+v", list)
			}
			resp, _ = do(t, http.MethodHead, host, "/")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HeadBucket: %d", resp.StatusCode)
			}
			resp, body = do(t, http.MethodGet, host, "/missing")
			var e struct{ Code, Key string }
			_ = xml.Unmarshal([]byte(body), &e)
			if resp.StatusCode != http.StatusNotFound || e.Code != "NoSuchKey" || e.Key != "missing" {
				t.Fatalf("missing key: %d %s", resp.StatusCode, body)
			}
		})
	}
	// A bucket host for a bucket that does not exist.
	resp, body := do(t, http.MethodGet, "nimbus-no-such-bucket.s3.localhost", "/k")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "<Code>NoSuchBucket</Code>") || !strings.Contains(body, "<BucketName>nimbus-no-such-bucket</BucketName>") {
		t.Fatalf("unknown bucket host: %d %s", resp.StatusCode, body)
	}
	// The service host itself lists the buckets.
	resp, body = do(t, http.MethodGet, "s3.localhost:"+port, "/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<Name>"+b+"</Name>") {
		t.Fatalf("ListBuckets on the service host: %d %s", resp.StatusCode, body)
	}
}

// TestS3SDKVirtualHosted drives the Go SDK in its default virtual-hosted
// style against an s3.localhost endpoint; the dialer sends every host to
// the cloud, so the bucket travels in the Host header, signed.
func TestS3SDKVirtualHosted(t *testing.T) {
	cloud := nimbus.Start(t)
	u, _ := url.Parse(cloud.Endpoint)
	dialer := &net.Dialer{}
	httpClient := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, u.Host)
		},
	}}
	hosts := map[string]bool{}
	c := s3.NewFromConfig(awsConfig("http://s3.localhost:"+u.Port()), func(o *s3.Options) {
		o.HTTPClient = recordingClient{httpClient, hosts}
	})
	b := bucketName("sdk-vhost")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("through the host")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "through the host" {
		t.Fatalf("GetObject: %q", data)
	}
	list, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("ListObjectsV2: %v %+v", err, list)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("missing")})
	wantAPIError(t, err, "NoSuchKey")
	if !hosts[b+".s3.localhost:"+u.Port()] || len(hosts) != 1 {
		t.Fatalf("requests went to %v, want only the bucket host", hosts)
	}
}

// recordingClient notes the Host of every request it sends.
type recordingClient struct {
	*http.Client
	hosts map[string]bool
}

func (c recordingClient) Do(r *http.Request) (*http.Response, error) {
	c.hosts[r.URL.Host] = true
	return c.Client.Do(r)
}
