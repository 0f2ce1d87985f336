app_name = "approvals-api"
urlpatterns: list = []
