using StrategicAgent.Prediction.Extensions;

// The host (Extensions.cs, BuildPredictionApp): defaults → data → messaging → auth → the service's own → endpoints.
WebApplication.CreateBuilder(args).BuildPredictionApp().Run();
