using StrategicAgent.Validation.Extensions;

// The host (Extensions.cs, BuildValidationApp): defaults → auth → the service's own (replica, judge) → endpoints.
WebApplication.CreateBuilder(args).BuildValidationApp().Run();
