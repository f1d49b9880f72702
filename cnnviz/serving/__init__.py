"""Serving many browsers: launcher, fork server, load balancer (teaching code never imports it)."""
