from typing import Any

import playground.models
from django.db import migrations, models


def give_each_run_a_key(apps: Any, schema_editor: Any) -> None:
    # A default is evaluated once for the rows already there: each run gets its own secret.
    Run = apps.get_model("playground", "Run")
    for run in Run.objects.filter(share_key="").only("pk").iterator():
        Run.objects.filter(pk=run.pk).update(share_key=playground.models.new_share_key())


class Migration(migrations.Migration):
    dependencies = [
        ("playground", "0006_run_budget_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="share_key",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_run_a_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="run",
            name="share_key",
            field=models.CharField(default=playground.models.new_share_key, max_length=32),
        ),
    ]
