"""Make the record's tables append-only in the database itself (see heard/record/guards.py)."""

from django.db import migrations

from heard.record import guards


def create_guards(apps, schema_editor) -> None:
    guards.run(schema_editor.connection, guards.create_sql(schema_editor.connection.vendor))


def drop_guards(apps, schema_editor) -> None:
    guards.run(schema_editor.connection, guards.drop_sql(schema_editor.connection.vendor))


def create_head(apps, schema_editor) -> None:
    apps.get_model("record", "LogHead").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("record", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(create_guards, drop_guards),
    ]
