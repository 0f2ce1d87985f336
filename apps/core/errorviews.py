"""Error pages: API paths get the one JSON error shape, browsers get a page."""

from django.shortcuts import render

from apps.core.api import error_response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return error_response(400, "bad_request", "The request could not be understood.")
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return error_response(403, "permission_denied", "You do not have permission to do this.")
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return error_response(404, "not_found", f"No resource at {request.path}.")
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _is_api(request):
        return error_response(500, "server_error", "An unexpected error occurred; it was logged.")
    return render(request, "errors/500.html", status=500)
