module github.com/c2c-uploader/c2c-uploader

go 1.26.0

require (
	github.com/avast/retry-go/v4 v4.7.0
	github.com/google/uuid v1.6.0
)
