using StrategicAgent.Gateway;

// The host (GatewayApp.cs, BuildGatewayApp): defaults → data and auth → the gateway's own → endpoints.
WebApplication.CreateBuilder(args).BuildGatewayApp().Run();
