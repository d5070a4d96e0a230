// The static programs of the sandbox node's local images (no dependencies).
module github.com/ack-components/tools/images

go 1.24.0
