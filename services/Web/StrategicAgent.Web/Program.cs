using StrategicAgent.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.UseServiceEndpoints();
builder.AddApplicationServices();

var app = builder.Build();
app.MapWeb();
app.Run();
