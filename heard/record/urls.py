from django.urls import path, re_path

from heard.record import views

urlpatterns = [
    path("", views.record_page, name="record"),
    path("checkpoint", views.checkpoint_text, name="record_checkpoint"),
    path("vkey", views.vkey_text, name="record_vkey"),
    path("entry/<int:index>", views.entry_bytes, name="record_entry"),
    path("check/", views.check_receipt, name="record_check"),
    path("consistency/<int:old>/<int:new>", views.consistency_text, name="record_consistency"),
    path("cosign", views.receive_cosignature, name="record_cosign"),
    re_path(r"^(?P<path>tile/.+)$", views.tile, name="record_tile"),
]
