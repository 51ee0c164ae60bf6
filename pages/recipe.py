"""Screen recipes from the profile: what a person does on an app's own screens, step by step.

Admin screens and self-service pages differ too much between apps for fixed page objects
(an add-user form may span two pages, a back office may be one table), so the profile
writes the steps and these page objects play them with the locators it gives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from authprobe.errors import RecipeStepError
from authprobe.pages.base import answer_interruptions
from authprobe.pages.locate import act, filled, filled_spec, resolve
from authprobe.profile import LocatorSpec, ScreenRecipe, ScreenStep, TargetProfile


def describe(step: ScreenStep) -> str:
    """A step as the profile wrote it, for error messages (values are left out)."""
    target = getattr(step, step.action)
    if isinstance(target, LocatorSpec):
        shown = ", ".join(f"{k}={v!r}" for k, v in target.model_dump(exclude_defaults=True).items())
        return f"{step.action} {{{shown}}}"
    return f"{step.action} {target}"


class RecipeScreen:
    """Plays one recipe on a page; returns False when `present` says the user is not there."""

    def __init__(self, page: Page, profile: TargetProfile) -> None:
        self.page = page
        self.profile = profile

    def _not_sent_to_sign_in(self, wanted: str) -> None:
        """A goto that lands on the app's sign-in page means the session playing the recipe
        has ended (idle TTL, a key rotation): say so now, not after a step's 30 s timeout."""
        login = self.profile.paths.login
        landed = urlsplit(self.page.url).path
        if login and landed == urlsplit(login).path and urlsplit(wanted).path != landed:
            raise RecipeStepError(f"{wanted} led to the sign-in page {landed}: the session "
                                  "playing this recipe has ended")

    def locate(self, spec: LocatorSpec, values: dict[str, str]) -> Locator:
        return resolve(self.page, filled_spec(spec, values)).first

    def play(self, recipe: ScreenRecipe, values: dict[str, str]) -> bool:
        leading_gotos = True
        for number, step in enumerate(recipe.steps, start=1):
            if leading_gotos and step.goto is None:
                leading_gotos = False
                if recipe.present is not None and resolve(
                        self.page, filled_spec(recipe.present, values)).count() == 0:
                    return False
            try:
                self._do(step, values)
            except (PlaywrightError, AssertionError) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise RecipeStepError(
                    f"step {number} ({describe(step)}) failed on {self.page.url}: "
                    f"{first_line[:200]}") from None
        return True

    def _do(self, step: ScreenStep, values: dict[str, str]) -> None:
        if step.goto is not None:
            wanted = filled(step.goto, {k: v for k, v in values.items() if k != "password"}, url=True)
            self.page.goto(wanted)
            self.page.wait_for_load_state("domcontentloaded")
            self._not_sent_to_sign_in(wanted)
            answer_interruptions(self.page, self.profile)
            return
        act(self.page, step, values)
