using StrategicAgent.Agent.Extensions;
using StrategicAgent.Agent.Grpc;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcDefaults();
builder.UseServiceEndpoints();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapGrpcService<AgentGrpcService>();
app.Run();
