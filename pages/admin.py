from __future__ import annotations

from authprobe.pages.base import Screen
from authprobe.pages.recipe import RecipeScreen
from authprobe.profile import SCREENS, AdminScreen, LocatorSpec, ScreenRecipe, ScreenStep

# The common wording of a role picker per user row, used when the profile states no recipe.
DEFAULT_SET_ROLE = ScreenRecipe(steps=[
    ScreenStep(select=LocatorSpec(label="Role for {email}"), value="{role}"),
    ScreenStep(click=LocatorSpec(role="button", name="Change role for {email}")),
])


class AdminPage(Screen):
    """The admin screen: users and their roles; operations follow the profile's recipes."""

    screen = "admin"
    path = "admin"
    defaults = SCREENS["admin"].defaults()

    @property
    def recipes(self) -> AdminScreen:
        return self.profile.admin_screen or AdminScreen()

    def _play(self, recipe: ScreenRecipe | None, operation: str, values: dict[str, str]) -> bool:
        if recipe is None:
            raise LookupError(f"the profile's [admin_screen] has no {operation} recipe")
        return RecipeScreen(self.page, self.profile).play(recipe, values)

    def change_role(self, email: str, role: str) -> bool:
        """False when the screen shows no such user."""
        return RecipeScreen(self.page, self.profile).play(self.recipes.set_role or DEFAULT_SET_ROLE,
                                                          {"email": email, "role": role})

    def create_user(self, email: str, password: str, role: str) -> bool:
        return self._play(self.recipes.create_user, "create_user",
                   {"email": email, "password": password, "role": role})

    def deactivate_user(self, email: str) -> bool:
        """False when the screen shows no such user."""
        return self._play(self.recipes.deactivate_user, "deactivate_user", {"email": email})

    def delete_user(self, email: str) -> bool:
        """False when the screen shows no such user."""
        return self._play(self.recipes.delete_user, "delete_user", {"email": email})


class ForbiddenPage(Screen):
    screen = "forbidden"
    defaults = SCREENS["forbidden"].defaults()


class DeleteAccountPage(Screen):
    """The user's own "delete my account" screens, walked by the profile's recipe."""

    screen = "delete_account"

    def delete_account(self, email: str, password: str) -> None:
        recipe = self.profile.self_service.delete_account
        if recipe is None:
            raise LookupError("the profile's [self_service] has no delete_account recipe")
        RecipeScreen(self.page, self.profile).play(recipe, {"email": email, "password": password})
