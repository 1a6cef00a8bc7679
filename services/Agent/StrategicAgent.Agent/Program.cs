using StrategicAgent.Agent.Extensions;

// The host (Extensions.cs, BuildAgentApp): defaults → auth → the agent's own (databases, clients, loop) → endpoints.
WebApplication.CreateBuilder(args).BuildAgentApp().Run();
