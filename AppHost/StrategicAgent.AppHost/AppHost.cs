var builder = DistributedApplication.CreateBuilder(args);

builder.AddProject<Projects.StrategicAgent_Validation>("validation");

builder.Build().Run();
