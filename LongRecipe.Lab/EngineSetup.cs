using LongRecipe.Engine.Torch;
using Microsoft.Extensions.Options;

namespace LongRecipe.Lab;

/// <summary>Applies the Lab's engine settings once, before anything runs.</summary>
public sealed class EngineSetup(IOptions<LabOptions> options, ILogger<EngineSetup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var threads = options.Value.CpuThreads > 0 ? options.Value.CpuThreads : Environment.ProcessorCount;
        TorchRuntime.Threads = threads;
        logger.LogInformation("libtorch {Version}, {Threads} CPU threads, {Devices} CUDA devices", TorchRuntime.Version, threads, TorchRuntime.CudaDeviceCount);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
