from django.urls import path

from heard.listen import import_views

urlpatterns = [
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/example.csv", import_views.import_example, name="import_example"),
    path("import/<int:pk>/", import_views.import_batch, name="import_batch"),
]
