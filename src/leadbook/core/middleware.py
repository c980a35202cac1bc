from django.conf import settings

# Scripts and styles come only from Leadbook's own static files: no inline script, no inline
# style attribute, no third-party origin. Forms post only back to Leadbook.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
])


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response that has none yet
    (a view with different needs, such as the public capture endpoint, sets its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy",
                                    getattr(settings, "CONTENT_SECURITY_POLICY",
                                            CONTENT_SECURITY_POLICY))
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
