"""The copies on permission rows are always set (0006 filled them), and the list's index.

Apart from 0006: PostgreSQL will not alter a table in the transaction that has just updated
its foreign keys (their checks are deferred to the commit).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("partnerships", "0006_permission_rows_carry_the_list_order"),
    ]

    operations = [
        migrations.AlterField(
            model_name="documentgroupobjectpermission",
            name="document_created_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="documentgroupobjectpermission",
            name="sensitivity",
            field=models.CharField(max_length=12),
        ),
        migrations.AddIndex(
            model_name="documentgroupobjectpermission",
            index=models.Index(
                fields=[
                    "alliance",
                    "group",
                    "permission",
                    "-document_created_at",
                    "-content_object",
                ],
                include=("sensitivity", "partnership"),
                name="docperm_listed",
            ),
        ),
    ]
