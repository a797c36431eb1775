package s3

import (
	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// applyEncryptionDefaults settles how a new object is encrypted: the
// request's x-amz-server-side-encryption, else the bucket's default
// encryption, else SSE-S3 (AES256), which S3 applies to every object since
// January 2023. Nimbus stores bytes as they are; the settings are kept and
// echoed as S3 does.
func applyEncryptionDefaults(b *bucketRecord, rec *objectRecord, requested *string) error {
	if rec.SSECustAlgo != "" {
		if rec.SSECustAlgo != "AES256" {
			return errInvalidArgument.New("The requested encryption algorithm is not valid").WithDetail(map[string]string{"ArgumentName": "x-amz-server-side-encryption-customer-algorithm", "ArgumentValue": rec.SSECustAlgo})
		}
		return nil
	}
	if requested != nil {
		switch *requested {
		case "AES256", "aws:kms", "aws:kms:dsse":
			rec.SSE = *requested
		default:
			return errInvalidArgument.New("The encryption method specified is not supported").WithDetail(map[string]string{"ArgumentName": "x-amz-server-side-encryption", "ArgumentValue": *requested})
		}
		return nil
	}
	rec.SSE = "AES256"
	if b.Encryption != nil {
		for _, r := range b.Encryption.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != nil {
				rec.SSE = *d.SSEAlgorithm
				if rec.SSEKMSKeyID == "" {
					rec.SSEKMSKeyID = deref(d.KMSMasterKeyID)
				}
				if r.BucketKeyEnabled != nil && *r.BucketKeyEnabled {
					rec.BucketKey = true
				}
			}
		}
	}
	return nil
}

// setSSEOutput fills the encryption headers of an output.
func setSSEOutput(rec *objectRecord, sse, kmsKey **string, bucketKey **bool, custAlgo, custMD5 **string) {
	if rec.SSECustAlgo != "" {
		*custAlgo = ptr(rec.SSECustAlgo)
		*custMD5 = nonEmpty(rec.SSECustKeyMD5)
		return
	}
	*sse = nonEmpty(rec.SSE)
	if rec.SSE == "aws:kms" || rec.SSE == "aws:kms:dsse" {
		*kmsKey = nonEmpty(rec.SSEKMSKeyID)
		if rec.BucketKey {
			*bucketKey = ptr(true)
		}
	}
}

// checkSSECustomer makes a read of an SSE-C object present the same key.
func checkSSECustomer(rec *objectRecord, algo, keyMD5 *string) error {
	if rec.SSECustAlgo == "" {
		if algo != nil {
			return errInvalidRequest.New("The encryption parameters are not applicable to this object.")
		}
		return nil
	}
	if algo == nil {
		return errInvalidRequest.New("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	}
	if rec.SSECustKeyMD5 != "" && deref(keyMD5) != rec.SSECustKeyMD5 {
		return errAccessDenied.New("Access Denied")
	}
	return nil
}

var _ = s3api.ServerSideEncryptionConfiguration{}
