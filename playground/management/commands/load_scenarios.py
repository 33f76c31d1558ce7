"""Load the engine's built-in scenarios into the database; safe to repeat (an upsert by slug)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from patterns import scenarios
from playground.models import Scenario


class Command(BaseCommand):
    help = "Create or update the built-in scenarios from patterns.scenarios.all()."

    def handle(self, *args: Any, **options: Any) -> None:
        created = updated = 0
        with transaction.atomic():
            for position, s in enumerate(scenarios.all()):
                _, made = Scenario.objects.update_or_create(
                    slug=s.slug,
                    defaults={
                        "name": s.name,
                        "pattern": s.pattern,
                        "description": s.description or "",
                        "document": s.document,
                        "position": position,
                    },
                )
                created += made
                updated += not made
        self.stdout.write(f"scenarios: {created} created, {updated} updated")
