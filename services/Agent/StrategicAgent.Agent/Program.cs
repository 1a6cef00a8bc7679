using StrategicAgent.Agent.Extensions;

// Wiring: Extensions/Extensions.cs (service defaults, gRPC defaults and endpoints,
// AddApplicationServices, health, reflection and AgentGrpcService).
var app = WebApplication.CreateBuilder(args).BuildAgentApp();
app.Run();
