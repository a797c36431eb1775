package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nimbus-cloud/nimbus"
)

// cliFail runs a CLI command that must fail and returns its exit code and
// everything it printed.
func cliFail(t *testing.T, cloud *nimbus.Instance, args ...string) (int, string) {
	t.Helper()
	out, err := cliRun(cloud, args...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("aws %s: want a failing exit, got %v\n%s", strings.Join(args, " "), err, out)
	}
	return exit.ExitCode(), out
}

// cliJSON runs a CLI command whose output is JSON and decodes it into v.
func cliJSON(t *testing.T, cloud *nimbus.Instance, v any, args ...string) {
	t.Helper()
	out := cli(t, cloud, args...)
	if strings.TrimSpace(out) == "" {
		// The CLI prints nothing for a paginated result with no items.
		out = "{}"
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeTestFile writes size deterministic pseudo-random bytes to path and
// returns them.
func writeTestFile(t *testing.T, path string, size int, seed uint64) []byte {
	t.Helper()
	data := make([]byte, size)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	_, _ = r.Read(data)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

func wantFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d uploaded", path, len(got), len(want))
	}
}

// treeFiles lists the files under dir as slash paths relative to it.
func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// outputLines are the non-empty lines of a CLI output.
func outputLines(out string) []string {
	var lines []string
	for l := range strings.SplitSeq(out, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestS3CLICopyAndList(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("cli")
	dir := t.TempDir()

	if out := cli(t, cloud, "s3", "mb", "s3://"+b); !strings.Contains(out, "make_bucket: "+b) {
		t.Fatalf("mb: %q", out)
	}
	if out := cli(t, cloud, "s3", "ls"); !strings.Contains(out, " "+b+"\n") {
		t.Fatalf("ls buckets: %q", out)
	}

	small := writeTestFile(t, filepath.Join(dir, "small.txt"), 1234, 1)
	cli(t, cloud, "s3", "cp", filepath.Join(dir, "small.txt"), "s3://"+b+"/small.txt")
	cli(t, cloud, "s3", "cp", "s3://"+b+"/small.txt", filepath.Join(dir, "small.down"))
	wantFile(t, filepath.Join(dir, "small.down"), small)

	// Above 8 MiB the CLI switches to a multipart upload with 8 MiB parts
	// and to ranged GETs for the download.
	big := writeTestFile(t, filepath.Join(dir, "big.bin"), 9<<20+17, 2)
	cli(t, cloud, "s3", "cp", filepath.Join(dir, "big.bin"), "s3://"+b+"/big.bin")
	var head struct {
		ETag          string
		ContentLength int64
	}
	cliJSON(t, cloud, &head, "s3api", "head-object", "--bucket", b, "--key", "big.bin")
	if !strings.HasSuffix(head.ETag, `-2"`) || head.ContentLength != int64(len(big)) {
		t.Fatalf("big object after multipart cp: %+v", head)
	}
	cli(t, cloud, "s3", "cp", "s3://"+b+"/big.bin", filepath.Join(dir, "big.down"))
	wantFile(t, filepath.Join(dir, "big.down"), big)

	// A tree up and down with --recursive.
	tree := filepath.Join(dir, "tree")
	treeData := map[string][]byte{}
	for i, name := range []string{"a.txt", "b/c.txt", "b/d/e.txt", "b/d/f g.txt", "h+i.txt"} {
		treeData[name] = writeTestFile(t, filepath.Join(tree, name), 100*i+3, uint64(10+i))
	}
	out := cli(t, cloud, "s3", "cp", "--recursive", tree, "s3://"+b+"/tree/")
	if n := strings.Count(out, "upload:"); n != len(treeData) {
		t.Fatalf("cp --recursive up: %d uploads\n%s", n, out)
	}
	back := filepath.Join(dir, "tree.down")
	cli(t, cloud, "s3", "cp", "--recursive", "s3://"+b+"/tree/", back)
	if got, want := treeFiles(t, back), treeFiles(t, tree); !reflect.DeepEqual(got, want) {
		t.Fatalf("cp --recursive down: %v, want %v", got, want)
	}
	for name, data := range treeData {
		wantFile(t, filepath.Join(back, name), data)
	}

	// ls of the bucket root: prefixes as PRE, objects with their sizes.
	out = cli(t, cloud, "s3", "ls", "s3://"+b+"/")
	if !strings.Contains(out, "PRE tree/") || !strings.Contains(out, fmt.Sprintf(" %d small.txt", len(small))) || strings.Contains(out, "a.txt") {
		t.Fatalf("ls bucket:\n%s", out)
	}
	out = cli(t, cloud, "s3", "ls", "s3://"+b+"/tree/b/")
	if !strings.Contains(out, "PRE d/") || !strings.Contains(out, "c.txt") || len(outputLines(out)) != 2 {
		t.Fatalf("ls prefix:\n%s", out)
	}
	out = cli(t, cloud, "s3", "ls", "--recursive", "s3://"+b+"/tree/")
	for name := range treeData {
		if !strings.Contains(out, " tree/"+name+"\n") {
			t.Fatalf("ls --recursive misses %s:\n%s", name, out)
		}
	}
	out = cli(t, cloud, "s3", "ls", "--recursive", "--human-readable", "--summarize", "s3://"+b)
	if !strings.Contains(out, "Total Objects: 7") || !strings.Contains(out, "Total Size: 9.0 MiB") || !strings.Contains(out, "9.0 MiB big.bin") {
		t.Fatalf("ls --human-readable --summarize:\n%s", out)
	}

	// mv within the bucket and from a local file.
	cli(t, cloud, "s3", "mv", "s3://"+b+"/small.txt", "s3://"+b+"/moved/small.txt")
	if code, out := cliFail(t, cloud, "s3api", "head-object", "--bucket", b, "--key", "small.txt"); code != 254 || !strings.Contains(out, "An error occurred (404) when calling the HeadObject operation: Not Found") {
		t.Fatalf("source after mv: exit %d\n%s", code, out)
	}
	cli(t, cloud, "s3", "cp", "s3://"+b+"/moved/small.txt", filepath.Join(dir, "moved.down"))
	wantFile(t, filepath.Join(dir, "moved.down"), small)
	cli(t, cloud, "s3", "mv", filepath.Join(dir, "small.down"), "s3://"+b+"/moved/local.txt")
	if _, err := os.Stat(filepath.Join(dir, "small.down")); !os.IsNotExist(err) {
		t.Fatalf("local file after mv: %v", err)
	}

	// presign, then fetch with a plain HTTP client.
	url := strings.TrimSpace(cli(t, cloud, "s3", "presign", "s3://"+b+"/moved/local.txt", "--expires-in", "300"))
	if !strings.Contains(url, "X-Amz-Signature=") {
		t.Fatalf("presign: %q", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(data, small) {
		t.Fatalf("presigned GET: %d, %d bytes", resp.StatusCode, len(data))
	}

	out = cli(t, cloud, "s3", "rm", "--recursive", "s3://"+b+"/tree/")
	if n := strings.Count(out, "delete:"); n != len(treeData) {
		t.Fatalf("rm --recursive: %d deletes\n%s", n, out)
	}
	// ls that finds nothing prints nothing and exits 1.
	if code, out := cliFail(t, cloud, "s3", "ls", "--recursive", "s3://"+b+"/tree/"); code != 1 || out != "" {
		t.Fatalf("after rm --recursive: exit %d, %q", code, out)
	}

	if out := cli(t, cloud, "s3", "rb", "--force", "s3://"+b); !strings.Contains(out, "remove_bucket: "+b) {
		t.Fatalf("rb --force: %q", out)
	}
	code, out := cliFail(t, cloud, "s3", "ls", "s3://"+b)
	if code != 254 || !strings.Contains(out, "An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist") {
		t.Fatalf("ls of removed bucket: exit %d\n%s", code, out)
	}
}

func TestS3CLISync(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("sync")
	cli(t, cloud, "s3", "mb", "s3://"+b)
	src := t.TempDir()
	files := map[string][]byte{}
	for i, name := range []string{"one.txt", "two/three.txt", "two/four.bin", "five/six/seven.txt"} {
		files[name] = writeTestFile(t, filepath.Join(src, name), 500*i+1, uint64(20+i))
		// Files older than their upload, as a user's are: sync compares
		// the local mtime with LastModified, which S3 keeps to the second.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(filepath.Join(src, name), old, old); err != nil {
			t.Fatal(err)
		}
	}

	out := cli(t, cloud, "s3", "sync", src, "s3://"+b+"/data")
	if n := strings.Count(out, "upload:"); n != len(files) {
		t.Fatalf("first sync up: %d uploads\n%s", n, out)
	}
	if out := cli(t, cloud, "s3", "sync", src, "s3://"+b+"/data"); strings.TrimSpace(out) != "" {
		t.Fatalf("second sync up copied again:\n%s", out)
	}

	dst := t.TempDir()
	out = cli(t, cloud, "s3", "sync", "s3://"+b+"/data", dst)
	if n := strings.Count(out, "download:"); n != len(files) {
		t.Fatalf("first sync down: %d downloads\n%s", n, out)
	}
	for name, data := range files {
		wantFile(t, filepath.Join(dst, name), data)
	}
	if out := cli(t, cloud, "s3", "sync", "s3://"+b+"/data", dst); strings.TrimSpace(out) != "" {
		t.Fatalf("second sync down copied again:\n%s", out)
	}

	// A changed size is synced again; --delete removes what is gone locally.
	files["one.txt"] = writeTestFile(t, filepath.Join(src, "one.txt"), 77, 99)
	if err := os.Remove(filepath.Join(src, "two/four.bin")); err != nil {
		t.Fatal(err)
	}
	out = cli(t, cloud, "s3", "sync", "--delete", src, "s3://"+b+"/data")
	if !strings.Contains(out, "upload: ") || !strings.Contains(out, "one.txt") || !strings.Contains(out, "delete: s3://"+b+"/data/two/four.bin") || len(outputLines(out)) != 2 {
		t.Fatalf("sync --delete:\n%s", out)
	}
	// Bucket to bucket.
	b2 := bucketName("sync2")
	cli(t, cloud, "s3", "mb", "s3://"+b2)
	out = cli(t, cloud, "s3", "sync", "s3://"+b+"/data", "s3://"+b2+"/copy")
	if n := strings.Count(out, "copy:"); n != len(files)-1 {
		t.Fatalf("sync bucket to bucket: %d copies\n%s", n, out)
	}
	if out := cli(t, cloud, "s3", "sync", "s3://"+b+"/data", "s3://"+b2+"/copy"); strings.TrimSpace(out) != "" {
		t.Fatalf("second bucket sync copied again:\n%s", out)
	}
}

func TestS3CLIAPIObjects(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("api")
	dir := t.TempDir()
	var created struct{ Location string }
	cliJSON(t, cloud, &created, "s3api", "create-bucket", "--bucket", b)
	if created.Location != "/"+b {
		t.Fatalf("create-bucket Location %q", created.Location)
	}

	body := writeTestFile(t, filepath.Join(dir, "body"), 4096, 3)
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	var put struct{ ETag string }
	cliJSON(t, cloud, &put, "s3api", "put-object", "--bucket", b, "--key", "docs/report.bin", "--body", filepath.Join(dir, "body"),
		"--metadata", "owner=alice,project=nimbus", "--tagging", "team=storage&tier=gold", "--content-type", "application/x-report",
		"--cache-control", "max-age=60")
	if put.ETag != etag {
		t.Fatalf("put-object ETag %s, want %s", put.ETag, etag)
	}
	var head struct {
		ETag, ContentType, CacheControl, LastModified string
		ContentLength                                 int64
		Metadata                                      map[string]string
	}
	cliJSON(t, cloud, &head, "s3api", "head-object", "--bucket", b, "--key", "docs/report.bin")
	if head.ETag != etag || head.ContentLength != 4096 || head.ContentType != "application/x-report" || head.CacheControl != "max-age=60" ||
		!reflect.DeepEqual(head.Metadata, map[string]string{"owner": "alice", "project": "nimbus"}) || head.LastModified == "" {
		t.Fatalf("head-object: %+v", head)
	}
	var tagging struct{ TagSet []struct{ Key, Value string } }
	cliJSON(t, cloud, &tagging, "s3api", "get-object-tagging", "--bucket", b, "--key", "docs/report.bin")
	if fmt.Sprint(tagging.TagSet) != "[{team storage} {tier gold}]" {
		t.Fatalf("get-object-tagging: %+v", tagging)
	}
	var get struct {
		ContentLength int64
		TagCount      int
		Metadata      map[string]string
	}
	cliJSON(t, cloud, &get, "s3api", "get-object", "--bucket", b, "--key", "docs/report.bin", filepath.Join(dir, "got"))
	wantFile(t, filepath.Join(dir, "got"), body)
	if get.ContentLength != 4096 || get.TagCount != 2 || get.Metadata["owner"] != "alice" {
		t.Fatalf("get-object: %+v", get)
	}
	cliJSON(t, cloud, &get, "s3api", "get-object", "--bucket", b, "--key", "docs/report.bin", "--range", "bytes=10-19", filepath.Join(dir, "part"))
	wantFile(t, filepath.Join(dir, "part"), body[10:20])

	// copy-object, replacing the metadata.
	var copied struct {
		CopyObjectResult struct{ ETag, LastModified string }
	}
	cliJSON(t, cloud, &copied, "s3api", "copy-object", "--bucket", b, "--key", "docs/copy.bin", "--copy-source", b+"/docs/report.bin",
		"--metadata-directive", "REPLACE", "--metadata", "owner=bob")
	if copied.CopyObjectResult.ETag != etag || copied.CopyObjectResult.LastModified == "" {
		t.Fatalf("copy-object: %+v", copied)
	}
	head.Metadata = nil
	cliJSON(t, cloud, &head, "s3api", "head-object", "--bucket", b, "--key", "docs/copy.bin")
	if !reflect.DeepEqual(head.Metadata, map[string]string{"owner": "bob"}) {
		t.Fatalf("copy metadata: %+v", head.Metadata)
	}

	// delete-objects reports each key, including keys that never existed.
	var deleted struct {
		Deleted []struct{ Key string }
		Errors  []any
	}
	cliJSON(t, cloud, &deleted, "s3api", "delete-objects", "--bucket", b, "--delete",
		`{"Objects":[{"Key":"docs/report.bin"},{"Key":"docs/copy.bin"},{"Key":"never/was"}],"Quiet":false}`)
	var keys []string
	for _, d := range deleted.Deleted {
		keys = append(keys, d.Key)
	}
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[docs/copy.bin docs/report.bin never/was]" || len(deleted.Errors) != 0 {
		t.Fatalf("delete-objects: %+v", deleted)
	}
	var list struct{ Contents []any }
	cliJSON(t, cloud, &list, "s3api", "list-objects-v2", "--bucket", b)
	if len(list.Contents) != 0 {
		t.Fatalf("after delete-objects: %+v", list)
	}
}

func TestS3CLIAPIListPagination(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("pages")
	cli(t, cloud, "s3api", "create-bucket", "--bucket", b)
	dir := t.TempDir()
	var want []string
	for i := range 11 {
		key := fmt.Sprintf("p/%02d", i)
		want = append(want, key)
		writeTestFile(t, filepath.Join(dir, key), i, uint64(i))
	}
	cli(t, cloud, "s3", "cp", "--recursive", filepath.Join(dir, "p"), "s3://"+b+"/p/")

	// --max-items cuts the listing and hands out a NextToken; --page-size
	// makes the CLI fetch it in pages of 2 (MaxKeys=2, ContinuationToken).
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		args := []string{"s3api", "list-objects-v2", "--bucket", b, "--max-items", "3", "--page-size", "2"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var page struct {
			Contents  []struct{ Key string }
			NextToken string
		}
		cliJSON(t, cloud, &page, args...)
		if len(page.Contents) > 3 {
			t.Fatalf("page of %d items with --max-items 3", len(page.Contents))
		}
		for _, c := range page.Contents {
			got = append(got, c.Key)
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paginated keys %v, want %v", got, want)
	}

	// The CLI's own paging through everything with a tiny page size; it
	// merges the pages and keeps only the result lists.
	var all struct{ Contents []struct{ Key string } }
	cliJSON(t, cloud, &all, "s3api", "list-objects-v2", "--bucket", b, "--page-size", "4")
	if len(all.Contents) != 11 {
		t.Fatalf("--page-size 4: %d keys", len(all.Contents))
	}
	var single struct {
		KeyCount, MaxKeys     int
		IsTruncated           bool
		NextContinuationToken string
	}
	cliJSON(t, cloud, &single, "s3api", "list-objects-v2", "--bucket", b, "--max-keys", "4", "--no-paginate")
	if single.KeyCount != 4 || single.MaxKeys != 4 || !single.IsTruncated || single.NextContinuationToken == "" {
		t.Fatalf("one page of 4: %+v", single)
	}
	var v1 struct{ Contents []struct{ Key string } }
	cliJSON(t, cloud, &v1, "s3api", "list-objects", "--bucket", b, "--page-size", "3", "--prefix", "p/0")
	if len(v1.Contents) != 10 {
		t.Fatalf("list-objects (v1, markers): %d keys", len(v1.Contents))
	}
	var delim struct {
		CommonPrefixes []struct{ Prefix string }
		Contents       []any
	}
	cliJSON(t, cloud, &delim, "s3api", "list-objects-v2", "--bucket", b, "--delimiter", "/")
	if len(delim.CommonPrefixes) != 1 || delim.CommonPrefixes[0].Prefix != "p/" || len(delim.Contents) != 0 {
		t.Fatalf("delimiter listing: %+v", delim)
	}
}

func TestS3CLIAPIVersioning(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("vers")
	dir := t.TempDir()
	cli(t, cloud, "s3api", "create-bucket", "--bucket", b)
	cli(t, cloud, "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	var status struct{ Status string }
	cliJSON(t, cloud, &status, "s3api", "get-bucket-versioning", "--bucket", b)
	if status.Status != "Enabled" {
		t.Fatalf("get-bucket-versioning: %+v", status)
	}
	var ids []string
	for i := range 3 {
		writeTestFile(t, filepath.Join(dir, "f"), 10+i, uint64(i))
		var put struct{ VersionId string }
		cliJSON(t, cloud, &put, "s3api", "put-object", "--bucket", b, "--key", "doc", "--body", filepath.Join(dir, "f"))
		if put.VersionId == "" {
			t.Fatal("put-object on a versioned bucket returned no VersionId")
		}
		ids = append(ids, put.VersionId)
	}
	cli(t, cloud, "s3api", "delete-object", "--bucket", b, "--key", "doc")
	var versions struct {
		Versions []struct {
			Key, VersionId string
			IsLatest       bool
			Size           int
		}
		DeleteMarkers []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	cliJSON(t, cloud, &versions, "s3api", "list-object-versions", "--bucket", b)
	if len(versions.Versions) != 3 || len(versions.DeleteMarkers) != 1 || !versions.DeleteMarkers[0].IsLatest {
		t.Fatalf("list-object-versions: %+v", versions)
	}
	for i, v := range versions.Versions {
		// Newest first.
		if v.VersionId != ids[2-i] || v.IsLatest || v.Size != 12-i {
			t.Fatalf("version %d: %+v, want id %s", i, v, ids[2-i])
		}
	}
	code, out := cliFail(t, cloud, "s3api", "get-object", "--bucket", b, "--key", "doc", filepath.Join(dir, "out"))
	if code != 254 || !strings.Contains(out, "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.") {
		t.Fatalf("get-object behind a delete marker: exit %d\n%s", code, out)
	}
	cli(t, cloud, "s3api", "get-object", "--bucket", b, "--key", "doc", "--version-id", ids[0], filepath.Join(dir, "out"))
	if data, _ := os.ReadFile(filepath.Join(dir, "out")); len(data) != 10 {
		t.Fatalf("first version: %d bytes", len(data))
	}
	// Deleting the marker brings the newest version back.
	cli(t, cloud, "s3api", "delete-object", "--bucket", b, "--key", "doc", "--version-id", versions.DeleteMarkers[0].VersionId)
	var head struct{ VersionId string }
	cliJSON(t, cloud, &head, "s3api", "head-object", "--bucket", b, "--key", "doc")
	if head.VersionId != ids[2] {
		t.Fatalf("after removing the delete marker: version %s, want %s", head.VersionId, ids[2])
	}
}

func TestS3CLIAPIMultipart(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("mpu")
	dir := t.TempDir()
	cli(t, cloud, "s3api", "create-bucket", "--bucket", b)
	var created struct{ UploadId, Bucket, Key string }
	cliJSON(t, cloud, &created, "s3api", "create-multipart-upload", "--bucket", b, "--key", "big/object", "--metadata", "kind=mpu")
	if created.UploadId == "" || created.Bucket != b || created.Key != "big/object" {
		t.Fatalf("create-multipart-upload: %+v", created)
	}
	part1 := writeTestFile(t, filepath.Join(dir, "p1"), 5<<20, 1)
	part2 := writeTestFile(t, filepath.Join(dir, "p2"), 1000, 2)
	type part struct {
		ETag       string
		PartNumber int
	}
	var parts []part
	for i, p := range []string{"p1", "p2"} {
		var up struct{ ETag string }
		cliJSON(t, cloud, &up, "s3api", "upload-part", "--bucket", b, "--key", "big/object", "--upload-id", created.UploadId,
			"--part-number", fmt.Sprint(i+1), "--body", filepath.Join(dir, p))
		parts = append(parts, part{up.ETag, i + 1})
	}
	var listed struct {
		Parts []struct{ PartNumber, Size int }
	}
	cliJSON(t, cloud, &listed, "s3api", "list-parts", "--bucket", b, "--key", "big/object", "--upload-id", created.UploadId)
	if len(listed.Parts) != 2 || listed.Parts[0].Size != 5<<20 || listed.Parts[1].Size != 1000 {
		t.Fatalf("list-parts: %+v", listed)
	}
	var uploads struct{ Uploads []struct{ UploadId string } }
	cliJSON(t, cloud, &uploads, "s3api", "list-multipart-uploads", "--bucket", b)
	if len(uploads.Uploads) != 1 || uploads.Uploads[0].UploadId != created.UploadId {
		t.Fatalf("list-multipart-uploads: %+v", uploads)
	}
	spec, _ := json.Marshal(map[string]any{"Parts": parts})
	if err := os.WriteFile(filepath.Join(dir, "parts.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	var done struct{ ETag, Key, Location string }
	cliJSON(t, cloud, &done, "s3api", "complete-multipart-upload", "--bucket", b, "--key", "big/object", "--upload-id", created.UploadId,
		"--multipart-upload", "file://"+filepath.Join(dir, "parts.json"))
	if !strings.HasSuffix(done.ETag, `-2"`) || done.Key != "big/object" {
		t.Fatalf("complete-multipart-upload: %+v", done)
	}
	var head struct {
		ContentLength int64
		Metadata      map[string]string
	}
	cliJSON(t, cloud, &head, "s3api", "head-object", "--bucket", b, "--key", "big/object")
	if head.ContentLength != int64(len(part1)+len(part2)) || head.Metadata["kind"] != "mpu" {
		t.Fatalf("head-object of the completed upload: %+v", head)
	}
	cli(t, cloud, "s3", "cp", "s3://"+b+"/big/object", filepath.Join(dir, "whole"))
	wantFile(t, filepath.Join(dir, "whole"), append(part1, part2...))

	code, out := cliFail(t, cloud, "s3api", "upload-part", "--bucket", b, "--key", "big/object", "--upload-id", created.UploadId,
		"--part-number", "3", "--body", filepath.Join(dir, "p2"))
	if code != 254 || !strings.Contains(out, "An error occurred (NoSuchUpload) when calling the UploadPart operation") {
		t.Fatalf("upload-part after complete: exit %d\n%s", code, out)
	}
	// abort-multipart-upload leaves nothing behind.
	cliJSON(t, cloud, &created, "s3api", "create-multipart-upload", "--bucket", b, "--key", "aborted")
	cli(t, cloud, "s3api", "abort-multipart-upload", "--bucket", b, "--key", "aborted", "--upload-id", created.UploadId)
	uploads.Uploads = nil
	cliJSON(t, cloud, &uploads, "s3api", "list-multipart-uploads", "--bucket", b)
	if len(uploads.Uploads) != 0 {
		t.Fatalf("after abort: %+v", uploads)
	}
}

func TestS3CLIAPIBucketConfig(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("conf")
	cli(t, cloud, "s3api", "create-bucket", "--bucket", b)

	code, out := cliFail(t, cloud, "s3api", "get-bucket-cors", "--bucket", b)
	if code != 254 || !strings.Contains(out, "An error occurred (NoSuchCORSConfiguration) when calling the GetBucketCors operation: The CORS configuration does not exist") {
		t.Fatalf("get-bucket-cors before put: exit %d\n%s", code, out)
	}
	cors := `{"CORSRules":[{"AllowedOrigins":["https://example.com"],"AllowedMethods":["GET","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]}`
	cli(t, cloud, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration", cors)
	var gotCORS, wantCORS any
	cliJSON(t, cloud, &gotCORS, "s3api", "get-bucket-cors", "--bucket", b)
	_ = json.Unmarshal([]byte(cors), &wantCORS)
	if !reflect.DeepEqual(gotCORS, wantCORS) {
		t.Fatalf("get-bucket-cors: %v, want %v", gotCORS, wantCORS)
	}

	code, out = cliFail(t, cloud, "s3api", "get-bucket-policy", "--bucket", b)
	if code != 254 || !strings.Contains(out, "An error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist") {
		t.Fatalf("get-bucket-policy before put: exit %d\n%s", code, out)
	}
	// New buckets block public policies, as AWS's have since 2023.
	public := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, b)
	code, out = cliFail(t, cloud, "s3api", "put-bucket-policy", "--bucket", b, "--policy", public)
	if code != 254 || !strings.Contains(out, "An error occurred (AccessDenied) when calling the PutBucketPolicy operation") {
		t.Fatalf("public policy on a new bucket: exit %d\n%s", code, out)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AccountRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, b)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.json"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, cloud, "s3api", "put-bucket-policy", "--bucket", b, "--policy", "file://"+filepath.Join(dir, "policy.json"))
	var gotPolicy struct{ Policy string }
	cliJSON(t, cloud, &gotPolicy, "s3api", "get-bucket-policy", "--bucket", b)
	var gp, wp any
	if err := json.Unmarshal([]byte(gotPolicy.Policy), &gp); err != nil {
		t.Fatalf("get-bucket-policy: %v in %q", err, gotPolicy.Policy)
	}
	_ = json.Unmarshal([]byte(policy), &wp)
	if !reflect.DeepEqual(gp, wp) {
		t.Fatalf("get-bucket-policy: %v, want %v", gp, wp)
	}
	code, out = cliFail(t, cloud, "s3api", "put-bucket-policy", "--bucket", b, "--policy", `{"Statement":"nope"}`)
	if code != 254 || !strings.Contains(out, "(MalformedPolicy) when calling the PutBucketPolicy operation") {
		t.Fatalf("put-bucket-policy with a bad policy: exit %d\n%s", code, out)
	}
	cli(t, cloud, "s3api", "delete-bucket-policy", "--bucket", b)
	cli(t, cloud, "s3api", "delete-bucket-cors", "--bucket", b)
	if code, _ := cliFail(t, cloud, "s3api", "get-bucket-cors", "--bucket", b); code != 254 {
		t.Fatalf("get-bucket-cors after delete: exit %d", code)
	}

	cli(t, cloud, "s3api", "put-bucket-tagging", "--bucket", b, "--tagging", "TagSet=[{Key=env,Value=test}]")
	var tags struct{ TagSet []struct{ Key, Value string } }
	cliJSON(t, cloud, &tags, "s3api", "get-bucket-tagging", "--bucket", b)
	if fmt.Sprint(tags.TagSet) != "[{env test}]" {
		t.Fatalf("get-bucket-tagging: %+v", tags)
	}
	var loc struct{ LocationConstraint *string }
	cliJSON(t, cloud, &loc, "s3api", "get-bucket-location", "--bucket", b)
	if loc.LocationConstraint != nil {
		t.Fatalf("us-east-1 bucket location: %q, want null", *loc.LocationConstraint)
	}
}

func TestS3CLIErrors(t *testing.T) {
	cloud := nimbus.Start(t)
	b := bucketName("errs")
	dir := t.TempDir()
	cli(t, cloud, "s3", "mb", "s3://"+b)
	writeTestFile(t, filepath.Join(dir, "present"), 100, 1)
	cli(t, cloud, "s3", "cp", filepath.Join(dir, "present"), "s3://"+b+"/present")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"get-object no bucket", []string{"s3api", "get-object", "--bucket", "nimbus-no-such-bucket", "--key", "k", filepath.Join(dir, "x")}, 254,
			"An error occurred (NoSuchBucket) when calling the GetObject operation: The specified bucket does not exist"},
		{"get-object no key", []string{"s3api", "get-object", "--bucket", b, "--key", "missing", filepath.Join(dir, "x")}, 254,
			"An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."},
		{"head-object no key", []string{"s3api", "head-object", "--bucket", b, "--key", "missing"}, 254,
			"An error occurred (404) when calling the HeadObject operation: Not Found"},
		{"head-bucket no bucket", []string{"s3api", "head-bucket", "--bucket", "nimbus-no-such-bucket"}, 254,
			"An error occurred (404) when calling the HeadBucket operation: Not Found"},
		{"list no bucket", []string{"s3api", "list-objects-v2", "--bucket", "nimbus-no-such-bucket"}, 254,
			"An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist"},
		{"delete non-empty bucket", []string{"s3api", "delete-bucket", "--bucket", b}, 254,
			"An error occurred (BucketNotEmpty) when calling the DeleteBucket operation: The bucket you tried to delete is not empty"},
		{"invalid bucket name", []string{"s3api", "create-bucket", "--bucket", "Bad_Bucket"}, 254,
			"An error occurred (InvalidBucketName) when calling the CreateBucket operation: The specified bucket is not valid."},
		{"range outside object", []string{"s3api", "get-object", "--bucket", b, "--key", "present", "--range", "bytes=500-", filepath.Join(dir, "x")}, 254,
			"An error occurred (InvalidRange) when calling the GetObject operation: The requested range is not satisfiable"},
		{"if-match on a changed key", []string{"s3api", "get-object", "--bucket", b, "--key", "present", "--if-match", `"0123"`, filepath.Join(dir, "x")}, 254,
			"An error occurred (PreconditionFailed) when calling the GetObject operation: At least one of the pre-conditions you specified did not hold"},
		{"no such upload", []string{"s3api", "complete-multipart-upload", "--bucket", b, "--key", "k", "--upload-id", "nope",
			"--multipart-upload", `{"Parts":[{"ETag":"\"x\"","PartNumber":1}]}`}, 254,
			"An error occurred (NoSuchUpload) when calling the CompleteMultipartUpload operation: The specified upload does not exist."},
		{"s3 cp missing key", []string{"s3", "cp", "s3://" + b + "/missing", filepath.Join(dir, "x")}, 1,
			"An error occurred (404) when calling the HeadObject operation: Key \"missing\" does not exist"},
		{"s3 cp no bucket", []string{"s3", "cp", filepath.Join(dir, "present"), "s3://nimbus-no-such-bucket/k"}, 1,
			"An error occurred (NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist"},
		{"s3 rb non-empty", []string{"s3", "rb", "s3://" + b}, 1,
			"An error occurred (BucketNotEmpty) when calling the DeleteBucket operation: The bucket you tried to delete is not empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := cliFail(t, cloud, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d, output:\n%s\nwant it to contain %q", code, tc.code, out, tc.want)
			}
		})
	}
}
