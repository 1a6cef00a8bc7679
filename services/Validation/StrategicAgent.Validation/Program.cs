using StrategicAgent.Validation.Extensions;

// Wiring: Extensions/Extensions.cs (BuildValidationApp = service defaults, gRPC defaults, endpoints,
// AddApplicationServices, health, reflection and ValidationGrpcService).
var builder = WebApplication.CreateBuilder(args);
var app = builder.BuildValidationApp();
app.Run();
