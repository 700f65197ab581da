"""The playground's static files (`static/`): HTML, CSS and ES modules, served as they are.

No build step and no third-party code: the page builds every form in the browser from the
server's own OpenAPI documents, so this folder never changes when an endpoint is added.
`ltx_serve.api.playground` serves it.
"""
