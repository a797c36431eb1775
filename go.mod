module github.com/nimbus-cloud/nimbus

go 1.26
