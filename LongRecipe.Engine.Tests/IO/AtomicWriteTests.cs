using LongRecipe.Engine.IO;
using LongRecipe.Engine.Tests.Support;
using LongRecipe.Engine.SafeTensors;
using LongRecipe.Engine.Torch;

namespace LongRecipe.Engine.Tests.SafeTensors;

/// <summary>A write that fails leaves the destination as it was and no temporary file behind.</summary>
public class AtomicWriteTests
{
    [Fact]
    public void Tensor_that_cannot_be_copied_keeps_the_old_file_and_leaves_no_temporary()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var path = folder.File("model.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones([4]) });
        var before = File.ReadAllBytes(path);
        var disposed = Tensor.Zeros([1024]);
        disposed.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros([1024]), ["b"] = disposed }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], folder.Files());
    }

    [Fact]
    public void Failure_mid_write_keeps_the_old_file_and_leaves_no_temporary()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1 << 20]);
            stream.Flush();
            Assert.Equal(2, folder.Files().Length); // the half-written temporary sits beside the destination
            throw new IOException("simulated failure");
        }));

        Assert.Equal("simulated failure", error.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], folder.Files());
    }

    [Fact]
    public void Failure_mid_write_creates_nothing_where_there_was_nothing()
    {
        using var folder = new TempFolder();
        Assert.Throws<IOException>(() => AtomicFile.Write(folder.File("new.safetensors"), stream =>
        {
            stream.Write([1, 2, 3]);
            throw new IOException("simulated failure");
        }));
        Assert.Empty(folder.Files());
    }

    [Fact]
    public void Writing_into_a_missing_folder_fails_plainly()
    {
        using var folder = new TempFolder();
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(folder.File("missing/new.safetensors"), _ => { }));
        Assert.Empty(folder.Files());
    }

    [Fact]
    public void Replacing_a_file_swaps_it_whole_while_an_open_reader_keeps_the_old_one()
    {
        using var folder = new TempFolder();
        using var scope = DisposeScope.Enter();
        var path = folder.File("model.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Full([3], 1) });

        using var old = SafeTensorsFile.Open(path);
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Full([5], 2), ["v"] = Tensor.Ones([1]) });

        Assert.Equal([1f, 1, 1], old.Load("w").ToArray<float>());
        using var replaced = SafeTensorsFile.Open(path);
        Assert.Equal([2f, 2, 2, 2, 2], replaced.Load("w").ToArray<float>());
        Assert.Equal([path], folder.Files());
    }
}
