"""Template access for tests: the same reader the local stack uses."""

from rxlocal.template import http_routes, load, resources

__all__ = ['http_routes', 'load', 'resources', 'template']


def template() -> dict:
    return load()
