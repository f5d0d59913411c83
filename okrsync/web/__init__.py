"""The daemon's web face: HTTP endpoints and the status page."""
