package s3

import (
	"strings"

	"github.com/nimbus-cloud/nimbus/internal/api/s3api"
)

// Predefined grantee groups.
const (
	groupAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

var bucketCannedACLs = map[string]bool{"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true, "log-delivery-write": true}

var objectCannedACLs = map[string]bool{"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true, "aws-exec-read": true, "bucket-owner-read": true, "bucket-owner-full-control": true}

// grantHeaders are the x-amz-grant-* headers of a request, in the order
// full-control, read, read-acp, write, write-acp.
type grantHeaders [5]*string

var grantPermissions = [5]string{"FULL_CONTROL", "READ", "READ_ACP", "WRITE", "WRITE_ACP"}

func (g grantHeaders) any() bool {
	for _, h := range g {
		if h != nil {
			return true
		}
	}
	return false
}

func ownerGrant(account string) s3api.Grant {
	o := ownerOf(account)
	return s3api.Grant{Grantee: &s3api.Grantee{Type: ptr("CanonicalUser"), ID: o.ID, DisplayName: o.DisplayName}, Permission: ptr("FULL_CONTROL")}
}

func groupGrant(uri, perm string) s3api.Grant {
	return s3api.Grant{Grantee: &s3api.Grantee{Type: ptr("Group"), URI: ptr(uri)}, Permission: ptr(perm)}
}

// cannedACL expands a canned ACL into the grants S3 stores for it.
func cannedACL(account, canned string) *s3api.AccessControlPolicy {
	p := &s3api.AccessControlPolicy{Owner: ownerOf(account), Grants: []s3api.Grant{ownerGrant(account)}}
	switch canned {
	case "public-read":
		p.Grants = append(p.Grants, groupGrant(groupAllUsers, "READ"))
	case "public-read-write":
		p.Grants = append(p.Grants, groupGrant(groupAllUsers, "READ"), groupGrant(groupAllUsers, "WRITE"))
	case "authenticated-read":
		p.Grants = append(p.Grants, groupGrant(groupAuthenticated, "READ"))
	case "log-delivery-write":
		p.Grants = append(p.Grants, groupGrant(groupLogDelivery, "WRITE"), groupGrant(groupLogDelivery, "READ_ACP"))
	}
	return p
}

// aclFromRequest builds the ACL a create request asks for: a canned ACL or
// explicit grant headers (not both), defaulting to private.
func aclFromRequest(account string, canned *string, grants grantHeaders, allowed map[string]bool) (*s3api.AccessControlPolicy, error) {
	if canned != nil && grants.any() {
		return nil, errInvalidRequest.New("Specifying both Canned ACLs and Header Grants is not allowed")
	}
	if canned != nil {
		if !allowed[*canned] {
			return nil, errInvalidArgument.New("").WithDetail(map[string]string{"ArgumentName": "x-amz-acl", "ArgumentValue": *canned})
		}
		return cannedACL(account, *canned), nil
	}
	if !grants.any() {
		return cannedACL(account, "private"), nil
	}
	p := &s3api.AccessControlPolicy{Owner: ownerOf(account)}
	for i, h := range grants {
		if h == nil {
			continue
		}
		for _, part := range strings.Split(*h, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				return nil, errInvalidArgument.New("Invalid grant header").WithDetail(map[string]string{"ArgumentName": "x-amz-grant-" + strings.ToLower(strings.ReplaceAll(grantPermissions[i], "_", "-")), "ArgumentValue": *h})
			}
			v = strings.Trim(strings.TrimSpace(v), `"`)
			g := &s3api.Grantee{}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				g.Type, g.ID = ptr("CanonicalUser"), ptr(v)
			case "uri":
				g.Type, g.URI = ptr("Group"), ptr(v)
			case "emailaddress":
				g.Type, g.EmailAddress = ptr("AmazonCustomerByEmail"), ptr(v)
			default:
				return nil, errInvalidArgument.New("Argument format not recognized").WithDetail(map[string]string{"ArgumentName": "x-amz-grant", "ArgumentValue": *h})
			}
			p.Grants = append(p.Grants, s3api.Grant{Grantee: g, Permission: ptr(grantPermissions[i])})
		}
	}
	return p, nil
}
