from dealbase.cli import app

app()
