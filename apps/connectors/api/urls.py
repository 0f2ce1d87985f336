app_name = "connectors-api"
urlpatterns: list = []
