using StrategicAgent.Gateway;

var app = GatewayApp.Create(new WebApplicationOptions { Args = args });
app.Run();
