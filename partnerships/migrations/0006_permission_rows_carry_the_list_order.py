"""Permission rows carry their paper's created_at, sensitivity and partnership, so a person's
papers list is read from the rows' index alone (kiaa.barrier.listing)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_papers(apps, schema_editor):
    Document = apps.get_model("partnerships", "Document")
    Permission = apps.get_model("partnerships", "DocumentGroupObjectPermission")
    paper = Document.objects.filter(pk=OuterRef("content_object_id"))
    Permission.objects.update(
        document_created_at=Subquery(paper.values("created_at")[:1]),
        sensitivity=Subquery(paper.values("sensitivity")[:1]),
        partnership_id=Subquery(paper.values("partnership_id")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("kiaa", "0006_api_tokens"),
        ("partnerships", "0005_undertakings_by_alliance_and_person"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="documentgroupobjectpermission",
            name="docperm_seen",
        ),
        migrations.AddField(
            model_name="documentgroupobjectpermission",
            name="document_created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="documentgroupobjectpermission",
            name="sensitivity",
            field=models.CharField(max_length=12, null=True),
        ),
        migrations.AddField(
            model_name="documentgroupobjectpermission",
            name="partnership",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="partnerships.partnership",
            ),
        ),
        migrations.RunPython(copy_from_papers, migrations.RunPython.noop),
    ]
