using StrategicAgent.Prediction.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcDefaults();
builder.UseServiceEndpoints();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.MapApplicationEndpoints();
app.Run();
