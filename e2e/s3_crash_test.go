package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// nimbusProcess is the nimbus binary running as its own process.
type nimbusProcess struct {
	cmd      *exec.Cmd
	endpoint string
	stderr   *syncBuffer
	exited   chan struct{}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// buildNimbus compiles cmd/nimbus into a temporary directory.
func buildNimbus(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nimbus")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/nimbus-cloud/nimbus/cmd/nimbus")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var readyLine = regexp.MustCompile(`msg="nimbus ready".* endpoint=(http://\S+)`)

// startNimbus runs the binary on a free port of 127.0.0.1 with dataDir and
// waits until it says it is ready.
func startNimbus(t *testing.T, bin, dataDir string) *nimbusProcess {
	t.Helper()
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "NIMBUS_EPHEMERAL=", "NIMBUS_FSYNC=")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nimbusProcess{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			if m := readyLine.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			}
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.endpoint = <-ready:
	case <-p.exited:
		t.Fatalf("nimbus exited before it was ready:\n%s", p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("nimbus not ready after 30s:\n%s", p.stderr)
	}
	return p
}

func (p *nimbusProcess) client() *s3.Client {
	return s3.NewFromConfig(awsConfig(p.endpoint), func(o *s3.Options) { o.UsePathStyle = true })
}

// crashObject is an object written before the crash, and what it must be
// after it.
type crashObject struct {
	key, contentType string
	body             []byte
	etag             string
	deleted          bool
}

func crashBody(i int) []byte {
	sizes := []int{0, 1, 100, 4 << 10, 64 << 10, 1 << 20, 3<<20 + 7}
	size := sizes[i%len(sizes)]
	b := make([]byte, size)
	(&generated{size: int64(size), seed: uint64(i)}).ReadAt(b, 0)
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestS3SurvivesKill9 kills the nimbus process with SIGKILL right after
// the last acknowledged write, while more writes are still on the wire, and
// checks after a restart on the same data directory that everything
// acknowledged is there, whole, and that nothing half-written shows.
func TestS3SurvivesKill9(t *testing.T) {
	bin := buildNimbus(t)
	dataDir := t.TempDir()
	proc := startNimbus(t, bin, dataDir)
	c := proc.client()
	b := bucketName("crash")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	vb := bucketName("crash-versions")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &vb}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &vb,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}

	// Acknowledged writes, eight at a time.
	const acked = 120
	objects := make([]crashObject, acked)
	var wg sync.WaitGroup
	errs := make(chan error, acked)
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				o := crashObject{key: fmt.Sprintf("obj/%03d", i), contentType: fmt.Sprintf("application/x-n%d", i), body: crashBody(i)}
				put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &o.key, Body: bytes.NewReader(o.body),
					ContentType: &o.contentType, Metadata: map[string]string{"index": fmt.Sprint(i), "sha256": sha256Hex(o.body)}})
				if err != nil {
					errs <- err
					continue
				}
				o.etag = aws.ToString(put.ETag)
				if i%10 == 9 {
					if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &o.key}); err != nil {
						errs <- err
						continue
					}
					o.deleted = true
				}
				objects[i] = o
			}
		}()
	}
	for i := range acked {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// A multipart object and versions, acknowledged as well.
	mpuBody := bytes.Repeat([]byte("multipart survives "), 600_000) // 11.4 MB, 3 parts
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	mpu, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("multipart"), Body: bytes.NewReader(mpuBody)})
	if err != nil {
		t.Fatal(err)
	}
	var versionIDs []string
	for v := range 3 {
		put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &vb, Key: aws.String("doc"), Body: strings.NewReader(fmt.Sprintf("version %d", v))})
		if err != nil {
			t.Fatal(err)
		}
		versionIDs = append(versionIDs, aws.ToString(put.VersionId))
	}

	// Writes still on the wire when the process dies: their bodies go out
	// slowly, so the kill lands in the middle of them.
	inflight := 6
	var started, finished sync.WaitGroup
	inflightErrs := make(chan error, inflight)
	for i := range inflight {
		started.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			key := fmt.Sprintf("inflight/%d", i)
			body := crashBody(6) // the largest
			r := &slowReader{r: bytes.NewReader(body), started: &started}
			// Unsigned payload and no checksum: the body goes out once, as
			// it is read, instead of being read ahead for hashing.
			_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: r, ContentLength: aws.Int64(int64(len(body))),
				Metadata: map[string]string{"sha256": sha256Hex(body)}}, func(o *s3.Options) {
				o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
				o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			})
			inflightErrs <- err
		}()
	}
	started.Wait()
	if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-proc.exited
	finished.Wait()
	close(inflightErrs)
	cut := 0
	for err := range inflightErrs {
		if err != nil {
			cut++
		}
	}
	t.Logf("%d of %d writes in flight were cut short by the kill", cut, inflight)

	proc = startNimbus(t, bin, dataDir)
	c = proc.client()
	for _, o := range objects {
		got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &o.key})
		if o.deleted {
			wantAPIError(t, err, "NoSuchKey")
			continue
		}
		if err != nil {
			t.Fatalf("%s after kill -9: %v", o.key, err)
		}
		data, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil || !bytes.Equal(data, o.body) {
			t.Fatalf("%s after kill -9: %v, %d bytes, want %d", o.key, err, len(data), len(o.body))
		}
		if aws.ToString(got.ETag) != o.etag || aws.ToString(got.ContentType) != o.contentType || got.Metadata["sha256"] != sha256Hex(o.body) {
			t.Fatalf("%s after kill -9: ETag %s, type %s, metadata %v", o.key, aws.ToString(got.ETag), aws.ToString(got.ContentType), got.Metadata)
		}
	}
	got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("multipart")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, mpuBody) || aws.ToString(got.ETag) != aws.ToString(mpu.ETag) {
		t.Fatalf("multipart object after kill -9: %d bytes, ETag %s want %s", len(data), aws.ToString(got.ETag), aws.ToString(mpu.ETag))
	}
	vs, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &vb})
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, v := range vs.Versions {
		gotIDs = append([]string{aws.ToString(v.VersionId)}, gotIDs...)
	}
	if fmt.Sprint(gotIDs) != fmt.Sprint(versionIDs) {
		t.Fatalf("versions after kill -9: %v, want %v", gotIDs, versionIDs)
	}

	// The bucket holds exactly the acknowledged keys, and of the writes cut
	// short only whole objects, if any.
	want := map[string]bool{"multipart": true}
	for _, o := range objects {
		if !o.deleted {
			want[o.key] = true
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b})
	seen := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if want[key] {
				seen++
				continue
			}
			if !strings.HasPrefix(key, "inflight/") {
				t.Fatalf("unexpected key %s after kill -9", key)
			}
			got, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if sha256Hex(data) != got.Metadata["sha256"] {
				t.Fatalf("%s: a write cut short by the kill left a partial object of %d bytes", key, len(data))
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("listed %d of the %d acknowledged keys", seen, len(want))
	}
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("nimbus did not stop on SIGTERM:\n%s", proc.stderr)
	}
}

// slowReader sends a body in small pieces with pauses, and says when the
// first piece has gone.
type slowReader struct {
	r       io.Reader
	started *sync.WaitGroup
	once    sync.Once
}

func (s *slowReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p[:min(len(p), 64<<10)])
	s.once.Do(s.started.Done)
	time.Sleep(5 * time.Millisecond)
	return n, err
}
