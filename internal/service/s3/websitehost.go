package s3

import (
	"context"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/protocol/restxml"
)

// Static website hosting: a request on a bucket's website endpoint is
// served from the bucket's website configuration (Amazon S3 User Guide,
// "Hosting a static website using Amazon S3"): redirects first, then the
// object (the index document for "/" and "dir/"), then, on an error, the
// routing rules that match the error, the error document, or S3's HTML
// error page. Website endpoints answer GET and HEAD only and never speak
// XML.

// htmlItem is one line of an HTML error page: "Name: value".
type htmlItem struct{ name, value string }

// websiteError is an error as the website endpoint shows it.
type websiteError struct {
	status        int
	code, message string
	items         []htmlItem // shown after Code and Message
}

func (s *Service) serveWebsite(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeWebsiteError(w, r, websiteError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed",
			message: "The specified method is not allowed against this resource.",
			items:   []htmlItem{{"Method", r.Method}, {"ResourceType", "OBJECT"}}}, nil)
		return
	}
	ctx := r.Context()
	b, err := s.viewBucket(ctx, bucket)
	if err != nil {
		writeWebsiteError(w, r, websiteErrorOf(err, ""), nil)
		return
	}
	cfg := b.Website
	if cfg == nil {
		writeWebsiteError(w, r, websiteError{status: http.StatusNotFound, code: "NoSuchWebsiteConfiguration",
			message: "The specified bucket does not have a website configuration",
			items:   []htmlItem{{"BucketName", bucket}}}, nil)
		return
	}
	scheme := "http"
	if strings.HasPrefix(request.FromContext(ctx).Endpoint, "https://") {
		scheme = "https"
	}
	if loc, status, ok := websiteRoute(cfg, scheme, r.Host, key, 0); ok {
		redirect(w, loc, status)
		return
	}
	suffix := ""
	if cfg.IndexDocument != nil {
		suffix = deref(cfg.IndexDocument.Suffix)
	}
	target := key
	if target == "" || strings.HasSuffix(target, "/") {
		target += suffix
	}
	out, err := s.GetObject(ctx, websiteGetInput(r, bucket, target))
	if err == nil {
		s.writeWebsiteObject(w, r, out, 0)
		return
	}
	if ae := awserr.From(err); ae.Status == http.StatusNotModified {
		writeError(w, r, ae)
		return
	}
	// A key without its trailing slash that names a folder with an index
	// document is sent to the folder.
	if errNoSuchKey.Is(err) && key != "" && !strings.HasSuffix(key, "/") && suffix != "" && s.objectExists(ctx, bucket, key+"/"+suffix) {
		redirect(w, "/"+key+"/", http.StatusFound)
		return
	}
	we := websiteErrorOf(err, target)
	if loc, status, ok := websiteRoute(cfg, scheme, r.Host, key, we.status); ok {
		redirect(w, loc, status)
		return
	}
	if doc := cfg.ErrorDocument; doc != nil && we.status >= 400 && we.status < 500 {
		docOut, docErr := s.GetObject(ctx, &s3api.GetObjectInput{Bucket: &bucket, Key: doc.Key})
		if docErr == nil {
			s.writeWebsiteObject(w, r, docOut, we.status)
			return
		}
		de := websiteErrorOf(docErr, deref(doc.Key))
		writeWebsiteError(w, r, we, &de)
		return
	}
	writeWebsiteError(w, r, we, nil)
}

// websiteGetInput is the GetObject a website request stands for: its
// range and conditions apply.
func websiteGetInput(r *http.Request, bucket, key string) *s3api.GetObjectInput {
	in := &s3api.GetObjectInput{Bucket: &bucket, Key: &key}
	h := r.Header
	header := func(name string) *string {
		if v := h.Get(name); v != "" {
			return &v
		}
		return nil
	}
	date := func(name string) *time.Time {
		if t, err := http.ParseTime(h.Get(name)); err == nil {
			return &t
		}
		return nil
	}
	in.Range, in.IfMatch, in.IfNoneMatch = header("Range"), header("If-Match"), header("If-None-Match")
	in.IfModifiedSince, in.IfUnmodifiedSince = date("If-Modified-Since"), date("If-Unmodified-Since")
	return in
}

func (s *Service) objectExists(ctx context.Context, bucket, key string) bool {
	_, rec, err := s.readTarget(ctx, bucket, key, nil)
	return err == nil && rec != nil
}

var getObjectOp = s3api.Service.Op("GetObject")

// writeWebsiteObject sends an object as GetObject would, or its
// x-amz-website-redirect-location as a 301. status overrides the status
// (an error document goes out with the error's).
func (s *Service) writeWebsiteObject(w http.ResponseWriter, r *http.Request, out *s3api.GetObjectOutput, status int) {
	if loc := deref(out.WebsiteRedirectLocation); loc != "" {
		if c, ok := out.Body.(io.Closer); ok {
			_ = c.Close()
		}
		redirect(w, loc, http.StatusMovedPermanently)
		return
	}
	if status != 0 {
		request.FromContext(r.Context()).Status = status
	}
	if err := (restxml.Codec{}).Encode(w, r, s3api.Service, getObjectOp, out); err != nil {
		s.log.Debug("s3: website response cut short", "err", err)
	}
}

func redirect(w http.ResponseWriter, location string, status int) {
	w.Header().Set("Location", location)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// websiteErrorOf shows an API error of a website request: its code,
// message and the elements S3 lists (Key, BucketName).
func websiteErrorOf(err error, key string) websiteError {
	ae := awserr.From(err)
	we := websiteError{status: ae.Status, code: ae.Code, message: ae.Message}
	if we.status == 0 || ae.Code == awserr.InternalFailure.Code {
		we.status, we.code, we.message = http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."
	}
	if d, ok := ae.Detail.(map[string]string); ok {
		for _, name := range []string{"BucketName", "Key"} {
			if v, ok := d[name]; ok {
				we.items = append(we.items, htmlItem{name, v})
			}
		}
	} else if ae.Code == errNoSuchKey.Code && key != "" {
		we.items = append(we.items, htmlItem{"Key", key})
	}
	return we
}

// writeWebsiteError writes S3's HTML error page; docErr, when set, is why
// the custom error document could not be sent.
func writeWebsiteError(w http.ResponseWriter, r *http.Request, e websiteError, docErr *websiteError) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	title := strconv.Itoa(e.status) + " " + http.StatusText(e.status)
	var b strings.Builder
	b.WriteString("<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n")
	writeItems(&b, e)
	requestID := request.FromContext(r.Context()).RequestID
	writeItem(&b, "RequestId", requestID)
	writeItem(&b, "HostId", h.Get("X-Amz-Id-2"))
	b.WriteString("</ul>\n")
	if docErr != nil {
		b.WriteString("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n")
		writeItems(&b, *docErr)
		b.WriteString("</ul>\n")
	}
	b.WriteString("<hr/>\n</body>\n</html>\n")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, b.String())
	}
}

func writeItems(b *strings.Builder, e websiteError) {
	writeItem(b, "Code", e.code)
	writeItem(b, "Message", e.message)
	for _, it := range e.items {
		writeItem(b, it.name, it.value)
	}
}

func writeItem(b *strings.Builder, name, value string) {
	b.WriteString("<li>" + name + ": " + html.EscapeString(value) + "</li>\n")
}
