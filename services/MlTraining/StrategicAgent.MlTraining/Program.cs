var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGrpcDefaults();
builder.UseServiceEndpoints();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcDefaults();
app.Run();
