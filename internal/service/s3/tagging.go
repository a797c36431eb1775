package s3

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// Tag limits of S3 ("Categorizing your storage using tags").
const (
	maxObjectTags = 10
	maxBucketTags = 50
)

// validateTags applies S3's tag rules: count, key length 1-128, value
// length 0-256 (in characters), unique keys, no aws: prefix.
func validateTags(tags []s3api.Tag, limit int) error {
	if len(tags) > limit {
		if limit == maxObjectTags {
			return errBadRequestTags.New("Object tags cannot be greater than 10")
		}
		return errInvalidTag.New("Bucket tag count cannot be greater than 50")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k, v := deref(t.Key), deref(t.Value)
		if t.Key == nil || utf8.RuneCountInString(k) < 1 || utf8.RuneCountInString(k) > 128 {
			return errInvalidTag.New("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(v) > 256 {
			return errInvalidTag.New("The TagValue you have provided is invalid")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidTag.New("Your TagKey cannot be prefixed with aws:")
		}
		if seen[k] {
			return errInvalidTag.New("Cannot provide multiple Tags with the same key").WithDetail(map[string]string{"TagKey": k})
		}
		seen[k] = true
	}
	return nil
}

func sortTags(tags []s3api.Tag) {
	sort.Slice(tags, func(i, j int) bool { return deref(tags[i].Key) < deref(tags[j].Key) })
}
