"""The facilitator capture page, its offline-queue sync endpoint and its service worker."""

from django.urls import path

from heard.listen import capture

urlpatterns = [
    path("hui/<slug:key>/capture/", capture.capture, name="capture"),
    path("hui/<slug:key>/capture/sync/", capture.capture_sync, name="capture_sync"),
    path("hui/<slug:key>/capture/sw.js", capture.capture_service_worker, name="capture_sw"),
]
