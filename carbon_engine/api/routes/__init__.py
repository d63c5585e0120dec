"""Routes of the operator API, one module per resource."""

# Set on each resource router itself (not at include time) so route.path, used as the
# metrics label, is the full path.
API_PREFIX = "/api/v1"
