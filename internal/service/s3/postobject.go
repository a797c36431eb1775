package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
	"github.com/nimbus-cloud/nimbus/internal/aws/awserr"
	"github.com/nimbus-cloud/nimbus/internal/aws/request"
	"github.com/nimbus-cloud/nimbus/internal/protocol/httpbinding"
	"github.com/nimbus-cloud/nimbus/internal/protocol/xmlcodec"
)

// POST Object: a browser uploads a file to a bucket with an HTML form
// (multipart/form-data). The fields before the file carry what a PutObject
// carries in headers, plus the policy that authorises the upload; the file
// is the last field, and whatever follows it is ignored. The object is
// stored by putObject, as a PutObject would store it.

// maxPostPreData bounds the form fields before the file, as S3 does.
const maxPostPreData = 20 << 10

var (
	errMalformedPOSTRequest = awserr.Def{Code: "MalformedPOSTRequest", Status: http.StatusBadRequest, Sender: true}
	errMaxPostPreData       = awserr.Def{Code: "MaxPostPreDataLengthExceeded", Status: http.StatusBadRequest, Sender: true}
)

func malformedPOST() error {
	return errMalformedPOSTRequest.New("The body of your POST request is not well-formed multipart/form-data.")
}

// formField is one field of a form, as sent.
type formField struct{ name, value string }

// postForm is a form upload read up to its file.
type postForm struct {
	fields []formField       // the fields before the file, in order
	values map[string]string // lower-case name -> value; repeated fields joined by commas
	file   io.Reader         // the file's content; nil when the form has none
	// fileName is the file part's filename after its last / or \;
	// hasFileName is false when the part gave none.
	fileName    string
	hasFileName bool
}

// readPostForm reads the fields of a multipart/form-data body up to the
// file part, which it leaves unread.
func readPostForm(r *http.Request) (*postForm, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, malformedPOST()
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &postForm{values: map[string]string{}}
	room := maxPostPreData
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, formReadError(err)
		}
		name := p.FormName()
		if strings.EqualFold(name, "file") {
			f.file = p
			if _, dp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition")); err == nil {
				if fn, ok := dp["filename"]; ok {
					f.fileName, f.hasFileName = fn[strings.LastIndexAny(fn, `/\`)+1:], true
				}
			}
			return f, nil
		}
		room -= len(name)
		value, err := io.ReadAll(io.LimitReader(p, int64(max(room, 0))+1))
		if err != nil {
			return nil, formReadError(err)
		}
		room -= len(value)
		if room < 0 {
			return nil, errMaxPostPreData.New("Your POST request fields preceeding the upload file was too large.").
				WithDetail(map[string]string{"MaxPostPreDataLengthBytes": strconv.Itoa(maxPostPreData)})
		}
		if name == "" {
			continue
		}
		f.fields = append(f.fields, formField{name, string(value)})
		lower := strings.ToLower(name)
		if prev, ok := f.values[lower]; ok {
			f.values[lower] = prev + "," + string(value)
		} else {
			f.values[lower] = string(value)
		}
	}
}

// formReadError keeps an AWS error of the body (the gateway's) and calls
// anything else a malformed form.
func formReadError(err error) error {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return malformedPOST()
}

// expandFileName replaces ${filename} in every field by the file's name.
// A file part without a filename leaves the variable as it is, as S3 does.
func (f *postForm) expandFileName() {
	if !f.hasFileName {
		return
	}
	for i, fd := range f.fields {
		f.fields[i].value = strings.ReplaceAll(fd.value, "${filename}", f.fileName)
	}
	for k, v := range f.values {
		f.values[k] = strings.ReplaceAll(v, "${filename}", f.fileName)
	}
}

func (s *Service) servePostObject(w http.ResponseWriter, r *http.Request, bucket string) {
	if err := s.postObject(w, r, bucket); err != nil {
		s.log.Debug("s3: form upload failed", "bucket", bucket, "err", err)
		writeError(w, r, err)
	}
}

func (s *Service) postObject(w http.ResponseWriter, r *http.Request, bucket string) error {
	ctx := r.Context()
	if !isMultipartForm(r.Header.Get("Content-Type")) {
		return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").
			WithDetail(map[string]string{"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"})
	}
	b, err := s.viewBucket(ctx, bucket)
	if err != nil {
		return err
	}
	f, err := readPostForm(r)
	if err != nil {
		return err
	}
	if f.file == nil {
		return invalidArgument("POST requires exactly one file upload per request.", "file", "0")
	}
	f.expandFileName()
	key, ok := f.values["key"]
	if !ok {
		return missingFormField("key")
	}
	auth, err := parsePostAuth(f)
	if err != nil {
		return err
	}
	if s.secretKey != nil && auth.kind != postAnonymous {
		lookup := func(ak string) (string, bool) { return s.secretKey(ctx, ak) }
		if err := auth.verify(lookup, b.Region); err != nil {
			return err
		}
	}
	var sizes sizeRange
	if auth.policy != "" {
		p, err := parsePostPolicy(auth.policy)
		if err != nil {
			return err
		}
		exempt := postExempt[auth.kind]
		if sizes, err = p.check(s.now(), f, bucket, func(name string) bool { return exempt[name] }); err != nil {
			return err
		}
	}
	in, tags, err := f.putObjectInput(bucket, key)
	if err != nil {
		return err
	}
	in.Body = f.file
	if sizes.set {
		in.Body = &sizeLimitedReader{r: f.file, sizes: sizes}
	}
	out, err := s.putObject(ctx, in, tags)
	if err != nil {
		return err
	}
	writePostResponse(w, r, f, bucket, key, out)
	return nil
}

// postExempt are the fields a policy need not name, by kind of signature.
var postExempt = map[postAuthKind]map[string]bool{
	postAnonymous: {"policy": true, "file": true},
	postSigV4:     {"policy": true, "file": true, "x-amz-signature": true},
	postSigV2:     {"policy": true, "file": true, "awsaccesskeyid": true, "signature": true},
}

// postHeaderFields maps the form fields that PutObject takes as headers to
// its input members.
var postHeaderFields = map[string]func(in *s3api.PutObjectInput) **string{
	"acl":                             func(in *s3api.PutObjectInput) **string { return &in.ACL },
	"cache-control":                   func(in *s3api.PutObjectInput) **string { return &in.CacheControl },
	"content-type":                    func(in *s3api.PutObjectInput) **string { return &in.ContentType },
	"content-disposition":             func(in *s3api.PutObjectInput) **string { return &in.ContentDisposition },
	"content-encoding":                func(in *s3api.PutObjectInput) **string { return &in.ContentEncoding },
	"content-language":                func(in *s3api.PutObjectInput) **string { return &in.ContentLanguage },
	"content-md5":                     func(in *s3api.PutObjectInput) **string { return &in.ContentMD5 },
	"expires":                         func(in *s3api.PutObjectInput) **string { return &in.Expires },
	"x-amz-storage-class":             func(in *s3api.PutObjectInput) **string { return &in.StorageClass },
	"x-amz-website-redirect-location": func(in *s3api.PutObjectInput) **string { return &in.WebsiteRedirectLocation },
	"x-amz-server-side-encryption":    func(in *s3api.PutObjectInput) **string { return &in.ServerSideEncryption },
	"x-amz-server-side-encryption-aws-kms-key-id":     func(in *s3api.PutObjectInput) **string { return &in.SSEKMSKeyId },
	"x-amz-server-side-encryption-context":            func(in *s3api.PutObjectInput) **string { return &in.SSEKMSEncryptionContext },
	"x-amz-server-side-encryption-customer-algorithm": func(in *s3api.PutObjectInput) **string { return &in.SSECustomerAlgorithm },
	"x-amz-server-side-encryption-customer-key":       func(in *s3api.PutObjectInput) **string { return &in.SSECustomerKey },
	"x-amz-server-side-encryption-customer-key-md5":   func(in *s3api.PutObjectInput) **string { return &in.SSECustomerKeyMD5 },
	"x-amz-checksum-algorithm":                        func(in *s3api.PutObjectInput) **string { return &in.ChecksumAlgorithm },
	"x-amz-checksum-crc32":                            func(in *s3api.PutObjectInput) **string { return &in.ChecksumCRC32 },
	"x-amz-checksum-crc32c":                           func(in *s3api.PutObjectInput) **string { return &in.ChecksumCRC32C },
	"x-amz-checksum-crc64nvme":                        func(in *s3api.PutObjectInput) **string { return &in.ChecksumCRC64NVME },
	"x-amz-checksum-sha1":                             func(in *s3api.PutObjectInput) **string { return &in.ChecksumSHA1 },
	"x-amz-checksum-sha256":                           func(in *s3api.PutObjectInput) **string { return &in.ChecksumSHA256 },
	"x-amz-grant-full-control":                        func(in *s3api.PutObjectInput) **string { return &in.GrantFullControl },
	"x-amz-grant-read":                                func(in *s3api.PutObjectInput) **string { return &in.GrantRead },
	"x-amz-grant-read-acp":                            func(in *s3api.PutObjectInput) **string { return &in.GrantReadACP },
	"x-amz-grant-write-acp":                           func(in *s3api.PutObjectInput) **string { return &in.GrantWriteACP },
	"x-amz-object-lock-mode":                          func(in *s3api.PutObjectInput) **string { return &in.ObjectLockMode },
	"x-amz-object-lock-legal-hold":                    func(in *s3api.PutObjectInput) **string { return &in.ObjectLockLegalHoldStatus },
}

// putObjectInput turns the form's fields into the PutObject they stand
// for, and its tagging field into tags.
func (f *postForm) putObjectInput(bucket, key string) (*s3api.PutObjectInput, []s3api.Tag, error) {
	in := &s3api.PutObjectInput{Bucket: &bucket, Key: &key}
	for name, v := range f.values {
		if member, ok := postHeaderFields[name]; ok {
			*member(in) = ptr(v)
			continue
		}
		if meta, ok := strings.CutPrefix(name, "x-amz-meta-"); ok {
			if in.Metadata == nil {
				in.Metadata = map[string]string{}
			}
			in.Metadata[meta] = v
		}
	}
	if v, ok := f.values["x-amz-server-side-encryption-bucket-key-enabled"]; ok {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, nil, invalidArgument("Invalid value for x-amz-server-side-encryption-bucket-key-enabled", "x-amz-server-side-encryption-bucket-key-enabled", v)
		}
		in.BucketKeyEnabled = &on
	}
	if v, ok := f.values["x-amz-object-lock-retain-until-date"]; ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, nil, invalidArgument("The retain until date must be provided in ISO 8601 format", "x-amz-object-lock-retain-until-date", v)
		}
		in.ObjectLockRetainUntilDate = &t
	}
	var tags []s3api.Tag
	if v, ok := f.values["tagging"]; ok {
		var err error
		if tags, err = parseTaggingXML(v); err != nil {
			return nil, nil, err
		}
	}
	return in, tags, nil
}

// parseTaggingXML reads the tagging field of a form: a Tagging document.
// S3 takes a document with another root as no tags.
func parseTaggingXML(doc string) ([]s3api.Tag, error) {
	var t struct {
		Tags []struct {
			Key   *string `xml:"Key"`
			Value *string `xml:"Value"`
		} `xml:"TagSet>Tag"`
	}
	if err := xml.Unmarshal([]byte(doc), &t); err != nil {
		return nil, malformedXML()
	}
	tags := make([]s3api.Tag, 0, len(t.Tags))
	for _, tg := range t.Tags {
		if tg.Value == nil {
			tg.Value = ptr("")
		}
		tags = append(tags, s3api.Tag{Key: tg.Key, Value: tg.Value})
	}
	if err := validateTags(tags, maxObjectTags); err != nil {
		return nil, err
	}
	sortTags(tags)
	return tags, nil
}

// sizeLimitedReader enforces a policy's content-length-range while the
// file is read, so that a file out of range is never stored. A file too
// large is read to its end to report its size, as S3 does.
type sizeLimitedReader struct {
	r     io.Reader
	sizes sizeRange
	n     int64
}

func (l *sizeLimitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.sizes.max {
		rest, _ := io.Copy(io.Discard, l.r)
		return 0, errEntityTooLarge.New("Your proposed upload exceeds the maximum allowed size").
			WithDetail(&proposedSizeDetail{ProposedSize: ptr(strconv.FormatInt(l.n+rest, 10)), MaxSizeAllowed: ptr(strconv.FormatInt(l.sizes.max, 10))})
	}
	if err == io.EOF && l.n < l.sizes.min {
		return n, errEntityTooSmall.New("Your proposed upload is smaller than the minimum allowed size").
			WithDetail(&proposedSizeDetail{ProposedSize: ptr(strconv.FormatInt(l.n, 10)), MinSizeAllowed: ptr(strconv.FormatInt(l.sizes.min, 10))})
	}
	return n, err
}

// proposedSizeDetail is what S3 adds to EntityTooLarge/EntityTooSmall, in
// its order.
type proposedSizeDetail struct {
	ProposedSize   *string `aws:"name=ProposedSize"`
	MinSizeAllowed *string `aws:"name=MinSizeAllowed"`
	MaxSizeAllowed *string `aws:"name=MaxSizeAllowed"`
}

// postResponse is the document of a 201 answer. S3 sends it without a
// namespace.
type postResponse struct {
	Location *string `aws:"name=Location"`
	Bucket   *string `aws:"name=Bucket"`
	Key      *string `aws:"name=Key"`
	ETag     *string `aws:"name=ETag"`
}

// writePostResponse answers a stored upload: a 303 to
// success_action_redirect when it is a URL, else success_action_status
// (200, 201 with a PostResponse document, or 204 by default). The headers
// are those of the PutObject it stood for, with the object's Location.
func writePostResponse(w http.ResponseWriter, r *http.Request, f *postForm, bucket, key string, out *s3api.PutObjectOutput) {
	h := w.Header()
	httpbinding.EncodeResponse(h, out)
	etag := deref(out.ETag)
	if target, ok := successRedirect(f); ok {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
			if strings.HasSuffix(target, "?") || strings.HasSuffix(target, "&") {
				sep = ""
			}
		}
		h.Set("Location", target+sep+"bucket="+url.QueryEscape(bucket)+"&key="+url.QueryEscape(key)+"&etag="+url.QueryEscape(etag))
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	location := objectURL(request.FromContext(r.Context()), r, bucket, key)
	h.Set("Location", location)
	switch f.values["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		b := append([]byte(xmlcodec.Header), "<PostResponse>"...)
		b = xmlcodec.AppendMembers(b, &postResponse{Location: &location, Bucket: &bucket, Key: &key, ETag: &etag}, nil)
		b = append(b, "</PostResponse>"...)
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// successRedirect is the form's success_action_redirect (or the older
// redirect) when it is an absolute http(s) URL; S3 ignores anything else.
func successRedirect(f *postForm) (string, bool) {
	target, ok := f.values["success_action_redirect"]
	if !ok {
		target, ok = f.values["redirect"]
	}
	if !ok {
		return "", false
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return target, true
}

// objectURL is the URL of an uploaded object in the addressing style of
// the request. S3 form-encodes the key there: / as %2F, a space as +.
func objectURL(info *request.Info, r *http.Request, bucket, key string) string {
	scheme := "http"
	if strings.HasPrefix(info.Endpoint, "https://") {
		scheme = "https"
	}
	if strings.HasPrefix(strings.ToLower(r.Host), bucket+".") {
		return scheme + "://" + r.Host + "/" + url.QueryEscape(key)
	}
	base := info.Endpoint
	if base == "" {
		base = scheme + "://" + r.Host
	}
	return base + "/" + bucket + "/" + url.QueryEscape(key)
}
