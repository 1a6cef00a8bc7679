using StrategicAgent.Web.Extensions;

// The host (Extensions.cs, BuildWebApp): defaults → auth and the UI's own → endpoints.
WebApplication.CreateBuilder(args).BuildWebApp().Run();
